/** The injected clock of the pure core: milliseconds since the epoch. */

/** Injected clock: milliseconds since the epoch. */
export type Clock = () => number;
