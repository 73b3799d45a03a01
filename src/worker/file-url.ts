/**
 * An absolute path as a file: URL, for import(): what node:url's pathToFileURL gives for a POSIX
 * path, without loading node:url (and node:path) into every worker: on Bun they cost about 2 MB of
 * each worker's RSS (bench/FINDINGS.md, "Memory").
 */
export function fileUrl(path: string): string {
  return `file://${path.split("/").map(encodeURIComponent).join("/")}`;
}
