/**
 * Objects kept for the life of the process so that V8 keeps their layouts.
 *
 * V8 describes an object's layout with a hidden class (a map), reached from
 * its constructor through transitions that hold the map weakly: once every
 * object of a class has been collected, its map goes too, and every optimized
 * function that checked for that map is deoptimized and has to learn its types
 * again. A program whose timers (or contexts, or operations) all end before a
 * full collection would then run its hot path slowly for a while after each
 * such collection: a timer re-arm took 2 to 5 times as long in that state.
 * One object of each such class, kept here, keeps its map alive.
 */
const anchors: object[] = [];

/** @internal Keeps `object` (one per class, a few dozen in all) alive for good, so its class's map stays. */
export function keepShape(object: object): void {
  anchors.push(object);
}
