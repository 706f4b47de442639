/**
 * What a conformance suite needs from a test runner: vitest's, jest's and
 * node:test's `describe`/`it` all fit, so a third party can check its own
 * backend with the runner it already uses. Suites assert with `node:assert`.
 */
export interface ConformanceRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeout?: number): void;
}

/** How a suite makes and disposes of a fresh backend for each test. */
export interface BackendFactory<P, O = undefined> {
  /** A fresh, empty backend (the suite passes its options when it needs particular ones). */
  open(options?: O): Promise<P>;
  /** Disposes of a backend the test opened (after the test closed it or not). */
  dispose?(port: P): Promise<void>;
}
