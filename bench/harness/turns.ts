/**
 * The order targets take their turns in a round: each round starts one target later. Whatever one
 * target leaves behind (a server still collecting its garbage, a namespace being deleted) then slows
 * a different target each round instead of always the same one.
 */
export function turnOrder<T>(targets: readonly T[], round: number): T[] {
  const shift = targets.length === 0 ? 0 : round % targets.length;
  return [...targets.slice(shift), ...targets.slice(0, shift)];
}
