// The pages' few behaviours, bound here: the Content-Security-Policy allows no
// inline script, so no onclick="" attributes.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
document.addEventListener("focusin", (event) => {
  if (event.target.matches("[data-select-on-focus]")) event.target.select();
});
// Unit fields hold several names separated by 、: a pick from the list adds to the
// names already typed instead of replacing them.
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!field.matches("input[data-units]")) return;
  if (event.inputType === "insertReplacementText") {
    const before = field.dataset.before || "";
    const cut = Math.max(before.lastIndexOf("、"), before.lastIndexOf("，"));
    if (cut >= 0 && !field.value.includes("、")) field.value = before.slice(0, cut + 1) + field.value;
  }
  field.dataset.before = field.value;
});
document.addEventListener("focusin", (event) => {
  if (event.target.matches("input[data-units]")) event.target.dataset.before = event.target.value;
});
// A task's box ticks the boxes of its measures, so what will be changed is what is seen.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.matches("[data-check-task]")) {
    box.closest("[data-task-group]").querySelectorAll("input[name=measure]").forEach((m) => { m.checked = box.checked; });
  } else if (box.matches("[data-check-all]")) {
    document.querySelectorAll("input[name=measure], input[data-check-task]").forEach((m) => { m.checked = box.checked; });
  } else if (box.matches("input[name=measure]") && !box.checked) {
    // The server takes a ticked task or 全部 as "all of them": an unticked measure unticks those.
    box.closest("[data-task-group]").querySelectorAll("[data-check-task]").forEach((t) => { t.checked = false; });
    document.querySelectorAll("[data-check-all]").forEach((t) => { t.checked = false; });
  }
});
// Leaving a unit field: a token that is exactly one unit's initials or alias (the list
// shows them beside each name) is written out as the unit's name, so what is sent is seen.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (!field.matches("input[data-units]") || !field.list) return;
  const options = Array.from(field.list.options);
  const names = field.value.split(/[、，,；;\s]+/).filter(Boolean).map((token) => {
    const wanted = token.toLowerCase();
    const found = options.filter((o) => o.value === token || o.label.toLowerCase().split(" · ").includes(wanted));
    return found.length === 1 ? found[0].value : token;
  });
  field.value = names.join("、");
});
