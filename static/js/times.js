/**
 * Times in the viewer's own time zone. The server renders every time as
 * `<time datetime="<ISO 8601 UTC>">` with UTC text (what a page without
 * JavaScript shows); here the text becomes local, and a chat's day
 * separators follow the viewer's days, not UTC's.
 * `timeZone` and `locale` are left to the browser except in tests.
 */

/** "17:08" or "5:08 PM", as the viewer's locale writes a clock time. */
export function clockText(date, { locale, timeZone } = {}) {
  return new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit", timeZone }).format(date);
}

/** "25 Nov 2026, 17:08": a moment that may be days away. */
export function dateTimeText(date, { locale, timeZone } = {}) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(date);
}

/** The calendar day a moment falls on where the viewer is, as "2026-11-25". */
export function dayKey(date, { timeZone } = {}) {
  const parts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone })
    .formatToParts(date);
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** "Today", "Yesterday", or "Wednesday, November 25, 2026" in the viewer's locale. */
export function dayLabel(date, { now = new Date(), locale, timeZone } = {}) {
  const day = dayKey(date, { timeZone });
  if (day === dayKey(now, { timeZone })) return "Today";
  if (day === dayKey(new Date(now.getTime() - 86400000), { timeZone })) return "Yesterday";
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeZone }).format(date);
}

/** Rewrite each `time[datetime]` under `root` in local time; `data-format="clock"` ones show the clock only. */
export function localizeTimes(root, options = {}) {
  for (const element of root.querySelectorAll("time[datetime]")) {
    const date = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(date.getTime())) continue;
    const clock = element.dataset.format === "clock";
    element.textContent = clock ? clockText(date, options) : dateTimeText(date, options);
    element.title = dateTimeText(date, options);
  }
}

/**
 * Put a day separator (`li.day`) before the first message of each local day in
 * a chat list, replacing any the server drew in UTC.
 */
export function markDays(list, { documentRef = globalThis.document, ...options } = {}) {
  for (const separator of list.querySelectorAll(":scope > li.day")) separator.remove();
  let previous = null;
  for (const item of list.querySelectorAll(":scope > li")) {
    const stamp = item.querySelector("time[datetime]");
    if (!stamp) continue;
    const date = new Date(stamp.getAttribute("datetime"));
    const day = dayKey(date, options);
    if (day !== previous) {
      const separator = documentRef.createElement("li");
      separator.className = "day";
      separator.dataset.day = day;
      const label = documentRef.createElement("span");
      label.textContent = dayLabel(date, options);
      separator.append(label);
      item.before(separator);
      previous = day;
    }
  }
}
