/** Reading node settings as the editor stores them. */

/** A number from the editor (which stores strings), or the default when left empty. */
export function numberSetting(value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return typeof value === 'number' ? value : Number(value);
}
