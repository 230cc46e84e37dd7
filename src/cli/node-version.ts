// The node versions snapctl runs on (package.json's engines), checked before
// anything else runs: an older node fails later with a message about
// something else (a missing fs.statfs, a syntax error in a dependency).

export const MIN_NODE_MAJOR = 20;

/** Why node `version` (v18.19.0 or 18.19.0) cannot run snapctl, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return `snapctl needs node ${MIN_NODE_MAJOR} or later; this is node ${version.replace(/^v?/, 'v')}`;
}
