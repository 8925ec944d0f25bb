import { pathToFileURL } from "node:url";

/**
 * True when the module at `url` is the script node was started with (`npx tsx tools/net/listener.ts`).
 * `file` is the module's own file name: inside a bundle (dist/exo.js) every module's `import.meta.url`
 * is the bundle's, so the URL alone would start every module's command at once.
 */
export function ranDirectly(url: string, file: string): boolean {
  const script = process.argv[1];
  return !!script && url === pathToFileURL(script).href && url.endsWith("/" + file);
}
