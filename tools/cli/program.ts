/**
 * The `exo` commands and their options, in one place: main.ts parses the
 * command line with it, `--help` prints it, and a test holds the README's
 * command table to it (test/tools/cli/options.test.ts). Each command lives in
 * tools/cli/commands/<name>.ts, exporting `run(options)` (returns the data
 * `--json` prints) and `render(result)` (what a person reads).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { findRoot } from "./root.ts";

// From tools/cli/ when run from source, from dist/ when bundled.
export const root = findRoot(import.meta.dirname);
export const version: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;

interface CommandModule<O, R> {
  run(options: O): Promise<R>;
  render(result: R): string;
  failed?(result: R): boolean;
  /** What `--json` prints, when it is not the whole result. */
  toJson?(result: R): unknown;
}

/** Run a command module: JSON or human output on stdout, exit 1 when the result is a failure. */
async function execute<O, R>(load: () => Promise<CommandModule<O, R>>, options: O & { json?: boolean }): Promise<void> {
  const command = await load();
  const result = await command.run(options);
  const json = () => JSON.stringify(command.toJson ? command.toJson(result) : result, null, 2);
  process.stdout.write((options.json ? json() : command.render(result)) + "\n");
  if (command.failed?.(result)) process.exitCode = 1;
}


/** `--watch`: the command again after each saved change (tools/cli/watch.ts). */
async function watch(kind: "sim" | "run" | "flash", opts: Record<string, unknown>): Promise<void> {
  const { watchCommand } = await import("./watch.ts");
  await watchCommand(kind, { cwd: process.cwd(), exo: root, ...opts, watch: undefined });
}

export const program = new Command("exo")
  .description("Build, check, simulate, flash and test Exo firmware for Espruino boards")
  .version(version)
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

program
  .command("new <folder>")
  .description("make a project of your own: exo.config.json, an app (a button toggles the LED and counts presses in a file), a stimulus file, an app test")
  .option("--board <name>", "the board in exo.config.json: esp32, linux", "esp32")
  .option("--port <path>", "the board's serial port, written into exo.config.json")
  .option("--exo <spec>", "the exo dependency as npm takes it: a version, a tarball, a folder (default: this exo)")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo new my-device && cd my-device && npm install && npm test")
  .action((folder, opts) => execute(() => import("./commands/new.ts"), { cwd: process.cwd(), folder, ...opts, exo: root, exoSpec: opts.exo }));

program
  .command("build")
  .description("bundle kernel + LibOS + apps into dist/firmware.js, gate it, report its size")
  .option("--board <name>", "board profile: esp32, linux (default: exo.config.json's board, else esp32)")
  .option("--apps <list>", "comma-separated apps to bundle: yours and Exo's examples (default: exo.config.json's apps and examples)")
  .option("--out <file>", "output file (default: the project's dist/firmware.js)")
  .option("--no-typecheck", "skip the type check of the apps against their manifests")
  .option("--wifi-config <file>", "Wi-Fi JSON {ssid,password,host} (esp32; else EXO_WIFI_SSID/EXO_WIFI_PASSWORD/EXO_PEER_HOST)")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo build --board linux")
  .action((opts) => execute(() => import("./commands/build.ts"), { cwd: process.cwd(), exo: root, ...opts }));

program
  .command("check [file]")
  .description("run the dialect gate over a bundle (default: the project's dist/firmware.js): construct, file and line")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo check dist/firmware.js")
  .action((file, opts) => execute(() => import("./commands/check.ts"), { cwd: process.cwd(), file, ...opts }));

program
  .command("sim")
  .description("boot the bundle on the simulated device (virtual clock) and show what it does")
  .option("--for <duration>", "simulated time to run: 10s, 500ms, 2m", "10s")
  .option("--vcd <file>", "write the GPIO waveform as VCD (GTKWave opens it)")
  .option("--seed <n>", "seed for Math.random and torn flash states", "1")
  .option("--board <name>", "board to simulate (default: the one the bundle was built for)")
  .option("--bundle <file>", "the bundle to boot (default: the project's dist/firmware.js)")
  .option("--flash <image>", "flash image file: loaded if it exists, saved at the end")
  .option("--save-flash <file>", "save the whole chip here at the end (a fresh erased chip unless --flash); read it with exo fs FILE")
  .option("--json", "print the run report as JSON (console lines included)")
  .option("--net", "give the device real loopback UDP sockets")
  .option("--listener", "start the host listener and print the telemetry it receives (implies --net)")
  .option("--listen <port>", "send every device datagram to 127.0.0.1:PORT, your own listener (implies --net)")
  .option("--loss <p>", "with the network: drop this share of datagrams, 0..1")
  .option("--dup <p>", "with the network: duplicate this share of datagrams, 0..1")
  .option("--delay <ms>", "with the network: delay each datagram by up to this many ms")
  .option("--stim <file>", "press buttons, drive pins, cut the power at given times: lines like `550ms press D0 120ms`, `5s cut`")
  .option("--pty", "serve the device on a pseudo-terminal (REPL + packet protocol) until Ctrl-C, for exo flash/monitor")
  .option("--pty-link <path>", "with --pty: also make this path a symlink to the pty")
  .option("--watch", "build and run again each time a file of the project's apps (or exo.config.json) is saved")
  .addHelpText("after", "\nExamples:\n  exo sim --for 10s --vcd blinky.vcd\n  exo sim --for 5s --stim buttons.txt\n  exo sim --for 20s --save-flash chip.bin && exo fs chip.bin\n  exo sim --pty --pty-link /tmp/exo-dev")
  .action((opts) =>
    opts.watch ? watch("sim", opts) : execute(() => (opts.pty ? import("./commands/sim-pty.ts") : import("./commands/sim.ts")) as Promise<CommandModule<object, unknown>>, {
      cwd: process.cwd(),
      ...opts,
      live: opts.json ? undefined : (line: string) => process.stdout.write(line + "\n"),
    }),
  );

program
  .command("flash")
  .description("upload the firmware over a serial port: verified on the device, resumable, atomic switch")
  .option("--port <path>", "serial port, pty, or tcp://host:port (default: exo.config.json's port)")
  .option("--baud <n>", "baud rate (default: exo.config.json's baud, else 115200)")
  .option("--board <name>", "board to build for when the bundle is missing or stale")
  .option("--bundle <file>", "the bundle to upload (default: the project's dist/firmware.js, built if stale)")
  .option("--packet <bytes>", "DATA packet payload size", "1024")
  .option("--force", "upload even if the device already boots this image")
  .option("--text", "store the bundle as text, not pretokenised (the interpreter's one-byte tokens)")
  .option("--no-run", "do not restart the device into the new image")
  .option("--watch", "upload again each time a file of the project's apps is saved (unchanged images are skipped); the console stays open between")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo flash --port /dev/ttyUSB0")
  .action((opts) => (opts.watch ? watch("flash", opts) : execute(() => import("./commands/flash.ts"), { cwd: process.cwd(), exo: root, ...opts })));

program
  .command("monitor")
  .description("the device's console: what it prints, your keys to it; reconnects after an unplug (Ctrl-] quits)")
  .option("--port <path>", "serial port, pty, or tcp://host:port (default: exo.config.json's port)")
  .option("--baud <n>", "baud rate (default: exo.config.json's baud, else 115200)")
  .option("--for <duration>", "stop after this long: 30s, 2m")
  .option("--no-reconnect", "end when the device goes away")
  .option("--reset", "reset the board once connected (RTS/DTR as esptool does; serial and rfc2217:// ports) to watch it boot")
  .option("--json", "print the session summary as JSON")
  .addHelpText("after", "\nExamples:\n  exo monitor --port /dev/ttyUSB0\n  exo monitor --reset                # from the boot banner on")
  .action((opts) => execute(() => import("./commands/monitor.ts"), { cwd: process.cwd(), exo: root, ...opts }));

program
  .command("run [file]")
  .description("run a script, or the project's build, in the device's RAM without flashing it; stream its console (Ctrl-C stops it, then load() brings the flashed firmware back)")
  .option("--app <name>", "build and run this app of the project alone")
  .option("--port <path>", "serial port, pty, or tcp://host:port (default: exo.config.json's port)")
  .option("--baud <n>", "baud rate (default: exo.config.json's baud, else 115200)")
  .option("--for <duration>", "stop after this long: 10s, 2m")
  .option("--keep", "leave the code running when exo stops (no load())")
  .option("--watch", "send the new build each time a file of the project's apps is saved")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExamples:\n  exo run --port /dev/ttyUSB0                 # the project's build\n  exo run --app button --for 30s\n  exo run blink.js --port /dev/ttyUSB0")
  .action((file, opts) =>
    opts.watch ? watch("run", { file, ...opts }) : execute(() => import("./commands/run.ts"), {
      cwd: process.cwd(),
      exo: root,
      file,
      ...opts,
      live: opts.json ? undefined : (line: string) => process.stdout.write(line + "\n"),
    }),
  );

program
  .command("dump")
  .description("read the kernel's flash region (the apps' file systems, the ledger) off a running device into an image exo fs opens")
  .option("--port <path>", "serial port, pty, or tcp://host:port (default: exo.config.json's port)")
  .option("--baud <n>", "baud rate (default: exo.config.json's baud, else 115200)")
  .option("--board <name>", "the flash layout: esp32, linux (default: what the device says it is)")
  .option("--out <file>", "where to write the image", "flash.img")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo dump --port /dev/ttyUSB0 --out board.img && exo fs board.img")
  .action((opts) => execute(() => import("./commands/dump.ts"), { cwd: process.cwd(), exo: root, ...opts }));

program
  .command("ports")
  .description("list serial ports (vendor and serial number need udevadm on Linux)")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo ports")
  .action((opts) => execute(() => import("./commands/ports.ts"), { cwd: process.cwd(), ...opts }));

program
  .command("test [files...]")
  .description("run the project's app tests (*.apptest.ts, on the simulated board) and on-device suites (test/hil/*.hil.ts, with --sim or --hil); JUnit XML")
  .option("--sim", "also run the on-device suites, on the simulated device")
  .option("--hil", "run the on-device suites on the board at --port (app tests are not run)")
  .option("--port <path>", "serial port, pty, or tcp://host:port (with --hil; default: exo.config.json's port)")
  .option("--baud <n>", "baud rate (default: exo.config.json's baud, else 115200)")
  .option("--board <name>", "the simulated board (default: exo.config.json's board)")
  .option("--timeout <time>", "per-test limit of host time", "5s")
  .option("--junit <file>", "also write JUnit XML there")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExamples:\n  exo test                      # the app tests\n  exo test test/button.apptest.ts\n  exo test --sim                # app tests and on-device suites\n  exo test --hil --port /dev/ttyUSB0 --junit junit.xml")
  .action((files, opts) =>
    execute(() => import("./commands/test.ts"), {
      cwd: process.cwd(),
      exo: root,
      files,
      ...opts,
      live: opts.json ? undefined : (line: string) => process.stdout.write(line + "\n"),
    }),
  );

program
  .command("fs [image] [action] [name]")
  .description("read the libos/fs file systems in a flash image, or off a running device (--port), without changing them: apps (default: every app's file system, from the kernel's ledger), ls, cat NAME, get NAME, stat NAME, check (every app's without --app), wear")
  .option("--port <path>", "read the device's instead of an image: serial port, pty, or tcp://host:port (default without an image: exo.config.json's port)")
  .option("--baud <n>", "with --port: baud rate (default: exo.config.json's baud, else 115200)")
  .option("--app <name>", "the file system of this app (its place read off the kernel's ledger in a whole-chip image)")
  .option("--board <name>", "the chip layout to find the ledger with (default: by the image's size, else searched; with --port: what the device says)")
  .option("--base <offset>", "byte offset of the file system in the image (default: --app, else found by its headers; hex ok)")
  .option("--sector-size <bytes>", "erase sector size (default: from the headers)")
  .option("--count <sectors>", "sectors in the file system (default: from the headers)")
  .option("--svg <file>", "wear: also write the wear map as SVG")
  .option("--out <file>", "cat: write the file's bytes here instead of printing them; get: where to write the file (default: its name)")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExamples:\n  exo sim --for 20s --save-flash chip.bin\n  exo fs chip.bin                                 # every app's file system\n  exo fs chip.bin ls --app telemetry\n  exo fs chip.bin cat log.a --app logger\n  exo fs chip.bin get log.a --app logger --out log.bin\n  exo fs chip.bin check                           # fsck of every app's file system\n  exo fs chip.bin wear --app logger --svg wear.svg\n  exo fs dump.bin ls --base 0x318000              # an image without a ledger\n  exo fs --port /dev/ttyUSB0 ls --app logger      # the running device's, as one moment of its flash")
  .action((image, action, name, opts) => execute(() => import("./commands/fs.ts"), { cwd: process.cwd(), exo: root, image, action, name, ...opts }));

program
  .command("bench [suites...]")
  .description("run benchmark suites (all when none is named): fs, kernel, flash, sched, net; ratios against baselines measured in the same run")
  .option("--json", "print the results as JSON (fs: keys are LOGCFG §4 metric names)")
  .option("--powerloss", "fs: run LOGCFG §5 power-loss trials instead of the workloads")
  .option("--workloads <list>", "fs: comma list of w0,w1,batched")
  .option("--workload <name>", "fs --powerloss: w0, w1 or batched")
  .option("--records <n>", "fs: records per workload (LOGCFG N, default 20000)")
  .option("--idle <n>", "fs: garbage-collection budget the idle hook gives between records")
  .option("--sectors <list>", "fs: device sizes in 4 KiB sectors for the mount-scaling table (W0 on each: mount read calls, bytes, model ms, RAM), default 64,256,1024")
  .option("--trials <n>", "fs --powerloss: number of trials (default 100000)")
  .option("--seed <s>", "fs --powerloss: master seed, printed so any failure can be replayed")
  .option("--stride <k>", "fs --powerloss: the sampling plan's stride")
  .option("--negctl <1|2|3>", "fs --powerloss: a negative control, which must fail (1 config in two halves, 2 ack before sync, 3 W1's static.bin synced after every write)")
  .option("--cuts <1|2|3|mix>", "fs --powerloss: power cuts per trial (default 1); each later cut falls within the first 64 flash ops of the recovery's continuation; mix: 1 to 3")
  .option("--workers <n>", "fs --powerloss: worker threads")
  .option("--replay <k:mode:seed>", "fs --powerloss: run one trial and print its detail")
  .option("--espruino <path>", "fs, kernel, flash, sched, net: an Espruino binary built for Linux (default $ESPRUINO_BIN; fs takes a comma list); without one, simulator only")
  .option("--interpreter-records <n>", "fs: N on the interpreter (default: --records, else 20000)")
  .option("--interpreter-sector <bytes>", "fs: sector size on the interpreter: 4096 (LOGCFG geometry, 4 × 1 KiB pages) or 1024")
  .option("--interpreter-timeout <s>", "fs: stop the interpreter after s seconds (default 900; the rate is then partial)")
  .option("--iterations <n>", "kernel: operations per variant on the interpreter")
  .option("--packets <n>", "net: datagrams per echo run (default 2000)")
  .option("--links <list>", "flash: comma list of sim,pty,pty-raw,telnet")
  .option("--baud <n>", "flash: the simulated link's rate in bits/s (default 115200)")
  .option("--packet <bytes>", "flash: DATA payload size (default 1024)")
  .option("--board <name>", "flash: firmware and simulated board (default esp32)")
  // Both forms, so the default is left to each suite: kernel counts instructions unless told not to, sched only when asked.
  .option("--callgrind", "sched: also count instructions per switch under valgrind's callgrind (slow)")
  .option("--no-callgrind", "kernel: time the interpreter with getTime() instead of counting instructions with callgrind")
  .option("--switches <n>", "sched: task switches per fairness/overhead run")
  .option("--seconds <n>", "sched: seconds of each lateness run")
  .addHelpText("after", "\nExamples:\n  exo bench fs --json\n  exo bench fs --sectors 64,256,1024\n  exo bench fs --powerloss --trials 100000 --seed 1\n  exo bench fs --powerloss --workload w1 --cuts 3 --trials 3000\n  exo bench kernel --espruino ~/espruino/espruino")
  .action((names, opts) => execute(() => import("./commands/bench.ts"), { cwd: process.cwd(), suites: names, ...opts }));

