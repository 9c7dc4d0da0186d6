/** Global test setup: services that several suites share start here (see test/services/). */
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
