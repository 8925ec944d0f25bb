// `rollup -c`: the device bundle (dist/firmware.js; esp32 unless `--environment BOARD:linux`),
// gated by the dialect gate, and the host CLI (dist/cli/); `--environment EXO_BUILD:cli` only the CLI
// (what `npm ci` runs). The configs live in tools/build/.
import { register } from "tsx/esm/api";

register();
const { deviceRollupOptions } = await import("./tools/build/device.ts");
const { hostRollupOptions } = await import("./tools/build/host.ts");
const root = import.meta.dirname;
const host = hostRollupOptions(root);
let configs = [host];
if (process.env.EXO_BUILD !== "cli") {
  const { board, apps, ...device } = await deviceRollupOptions({ root, board: process.env.BOARD });
  configs = [device, host];
}

export default configs;
