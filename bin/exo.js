#!/usr/bin/env node
// The `exo` command: runs the CLI from its TypeScript sources through tsx, so a
// checkout never runs a stale build (`npm run build` also writes dist/exo.js).
import { register } from "tsx/esm/api";

register();
await import("../tools/cli/main.ts");
