/** Time enters the system through a clock so that tests can move it (machines get `now` in events). */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
