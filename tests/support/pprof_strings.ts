/**
 * `stringAt`: a string of a decoded profile's table by index, naming the field when the index is
 * out of range — for tests that read decoded profiles (profcol itself never resolves strings of
 * a whole decoded profile outside the console's flame tree).
 *
 * @module
 */

import { type Profile, ProfileDecodeError } from "../../pprof/profile.ts";

/** `stringTable[index]`, or throws naming the field when the index is out of range. */
export function stringAt(p: Profile, index: number, field: string): string {
  const s = p.stringTable[index];
  if (s === undefined) {
    throw new ProfileDecodeError(
      `${field} refers to string ${index}, but string_table has ${p.stringTable.length} entries`,
    );
  }
  return s;
}
