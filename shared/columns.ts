/**
 * Terminal columns: a CJK character takes two, so that Chinese titles and sentences line up
 * in tables and timelines as English ones do.
 */
const wide = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;

/** How many columns `text` takes in a terminal. */
export function columns(text: string): number {
  let count = 0;
  for (const ch of text) count += wide.test(ch) ? 2 : 1;
  return count;
}

/** Pads to `width` columns. */
export function padColumns(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - columns(text)));
}
