// Expectations of the compat suite that cannot hold when Pepr 1.1.4 runs on the host instead of in
// its pods. Each entry says why and how the module's run fails under Pepr; the Pepr suite asserts
// that it fails that way, so an entry that stops applying shows up as a failure to remove it.
// test/compat/README.md, "Under Pepr 1.1.4", lists the same entries.

export interface NotUnderPepr {
  /** Why the expectation cannot hold under Pepr on the host. */
  readonly reason: string;
  /** What the module's failure message must match. */
  readonly fails: RegExp;
}

export const expectedUnderPepr: Readonly<Record<string, NotUnderPepr>> = {};
