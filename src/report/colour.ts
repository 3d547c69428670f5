/** Colour for verdict words on a terminal: `--color auto|always|never`, then FORCE_COLOR and NO_COLOR (no-color.org) as Node reads them. */

export type ColourMode = 'auto' | 'always' | 'never';

/**
 * Whether to colour: the option decides when given; in `auto`, FORCE_COLOR (any value but 0/false) turns it on,
 * NO_COLOR (non-empty) off, as Node's own tty.getColorDepth orders them; otherwise only a terminal that is not dumb.
 */
export function colourOn(mode: ColourMode, env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (mode !== 'auto') return mode === 'always';
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return isTty && env['TERM'] !== 'dumb';
}

/** SGR parameters per verdict and result word: red for what failed the rule, yellow and magenta for what was not proven. */
const SGR: Record<string, string> = {
  'FAILED': '1;31', 'CLEAR': '1;31', 'FINDINGS': '1;31', 'INTEGRITY-ONLY': '1;33', 'INCONCLUSIVE': '35', 'INCOMPLETE': '35',
  'ENCRYPTED': '32', 'NO CLIENT TRAFFIC': '2', 'LINK': '1;31',
};

/** Paints a verdict or result word (already escaped text), or returns it as it is when colour is off. */
export function paintWord(on: boolean, word: string): string {
  const sgr = SGR[word.trim()];
  return on && sgr ? `\x1b[${sgr}m${word}\x1b[0m` : word;
}
