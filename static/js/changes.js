/**
 * What a chat or board event changes on the page, decided without touching it:
 * the page applies the answer. An event whose data says `redacted` is about
 * something deleted later in the same log, so it changes nothing.
 */

/** A chat event → {op: "add"|"update"|"remove"|"ignore", message?, id?}. */
export function messageChange(frame) {
  if (frame.type !== "event") return { op: "ignore" };
  const data = frame.data ?? {};
  if (data.redacted) return { op: "ignore" };
  switch (frame.event) {
    case "message.created":
      return { op: "add", message: data };
    case "message.updated":
      return { op: "update", message: data };
    case "message.deleted":
      return { op: "remove", id: data.id };
    default:
      return { op: "ignore" };
  }
}

/**
 * A board event → {op: "place"|"remove"|"ignore", card?, id?}. `shownVersion(id)`
 * is the version the page shows for a card (undefined when it shows none): an
 * older copy arriving late never overwrites a newer one.
 */
export function cardChange(frame, shownVersion = () => undefined) {
  if (frame.type !== "event") return { op: "ignore" };
  const data = frame.data ?? {};
  if (data.redacted) return { op: "ignore" };
  if (frame.event === "card.deleted") return { op: "remove", id: data.id };
  if (!["card.created", "card.updated", "card.moved"].includes(frame.event)) return { op: "ignore" };
  const shown = shownVersion(data.id);
  if (shown !== undefined && shown > data.version) return { op: "ignore" };
  return { op: "place", card: data };
}

/**
 * Where a dragged card lands: the 0-based position among the column's other
 * cards, given their vertical middles (top to bottom) and the pointer's y.
 */
export function dropPosition(middles, y) {
  const index = middles.findIndex((middle) => y < middle);
  return index === -1 ? middles.length : index;
}
