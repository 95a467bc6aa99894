// The pages' few behaviours, bound here: the Content-Security-Policy allows no
// inline script, so no onclick="" attributes.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
document.addEventListener("focusin", (event) => {
  if (event.target.matches("[data-select-on-focus]")) event.target.select();
});
