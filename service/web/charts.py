"""Charts as inline SVG, drawn on the server: no JavaScript, prints as it looks.

A chart scales to its card; on a phone that is about half its drawn width, so the
stylesheet sets its text to PHONE_FONT user units there (readable at ~10 px) and the
layout leaves room for text of that size."""

from markupsafe import Markup, escape

from service.milestones.stats import ProgressPoint

CHART_GREEN, CHART_RED, CHART_BLUE, GRID, MUTED = "#2e7d4f", "#c0392b", "#2f5d8a", "#d9dee4", "#6b7480"
PHONE_FONT = 19  # keep in step with duban.css (svg.chart text on phones)


def progress_chart(points: list[ProgressPoint], width: int = 640, height: int = 180) -> Markup:
    """Planned (due) versus actual (approved) completion over time, in percent."""
    if len(points) < 2:
        return Markup('<p class="muted">暂无进度数据</p>')
    left, right, top, bottom = 56, 12, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + plot_w * i / (len(points) - 1)

    def y(percent: int) -> float:
        return top + plot_h * (1 - percent / 100)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="计划与实际完成进度">'
    ]
    for percent in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(percent):.1f}" y2="{y(percent):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(percent) + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">{percent}%</text>'
        )
    for i, label in _axis_labels(points):
        anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="11" fill="{MUTED}">'
            f"{label}</text>"
        )
    for colour, attr, dash in ((MUTED, "planned_percent", ' stroke-dasharray="5 4"'), (CHART_BLUE, "actual_percent", "")):
        path = " ".join(f"{x(i):.1f},{y(getattr(p, attr)):.1f}" for i, p in enumerate(points))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
    last = points[-1]
    parts.append(
        f'<circle cx="{x(len(points) - 1):.1f}" cy="{y(last.actual_percent):.1f}" r="4" fill="{CHART_BLUE}"/>'
        f'<text x="{left + 8}" y="{top + 14}" font-size="12" fill="{CHART_BLUE}">— 实际办结 {last.actual_percent}%</text>'
        f'<text x="{left + 230}" y="{top + 14}" font-size="12" fill="{MUTED}">- - 应完成 {last.planned_percent}%</text>'
        "</svg>"
    )
    return Markup("".join(parts))


def _axis_labels(points: list[ProgressPoint]) -> list[tuple[int, str]]:
    """About six date labels, in months for a long course and in days for a short
    one (a plan activated this week would show the same month three times)."""
    fmt = "%Y-%m" if (points[-1].day - points[0].day).days > 120 else "%m-%d"
    every = max(1, len(points) // 6)
    labels, previous = [], None
    for i, point in enumerate(points):
        label = point.day.strftime(fmt)
        if (i % every == 0 or i == len(points) - 1) and label != previous:
            labels.append((i, label))
            previous = label
    return labels


def department_bars(rows: list[tuple[str, float | None, int]], width: int = 640) -> Markup:
    """One horizontal bar per department: on-time rate, with the overdue count beside it."""
    if not rows:
        return Markup('<p class="muted">暂无单位数据</p>')
    # Room for the longest name and "100% · 逾期99" at the phone's text size.
    label_w = min(280, max(150, PHONE_FONT * max(len(name) for name, _, _ in rows) + 10))
    bar_h, gap, right = 20, 10, 150
    height = len(rows) * (bar_h + gap) + gap
    plot_w = width - label_w - right
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="单位按时完成率">']
    for i, (name, rate, overdue) in enumerate(rows):
        top = gap + i * (bar_h + gap)
        mid = top + bar_h / 2 + 4
        parts.append(
            f'<text x="{label_w - 8}" y="{mid:.1f}" text-anchor="end" font-size="12" fill="#1f2933">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{top}" width="{plot_w}" height="{bar_h}" fill="#eef1f4" rx="2"/>'
        )
        if rate is not None:
            colour = CHART_GREEN if rate >= 0.8 else ("#b7791f" if rate >= 0.5 else CHART_RED)
            parts.append(
                f'<rect x="{label_w}" y="{top}" width="{plot_w * rate:.1f}" height="{bar_h}" fill="{colour}" rx="2"/>'
            )
        text = "—" if rate is None else f"{round(rate * 100)}%"
        if overdue:
            text += f" · 逾期{overdue}"
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{mid:.1f}" font-size="12" fill="{CHART_RED if overdue else MUTED}">{text}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
