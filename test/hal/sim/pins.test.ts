import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { toVcd } from "../../../hal/sim/vcd.ts";

const boot = (code: string) => {
  const device = new SimDevice({ board: boards.esp32 });
  device.boot(code);
  return device;
};
const lines = (device: SimDevice) => device.console.map((l) => l.line);

describe("pins", () => {
  it("Pin(n), new Pin(n) and Dn are the same object; a pin prints as Dn", () => {
    const device = boot(`print(Pin(5) === D5, new Pin(5) === D5, Pin(D5) === D5, D5, [D1, D2], String(D7), D5 == 5, D5 + 1);`);
    expect(lines(device)).toEqual(["true true true D5 [ D1, D2 ] D7 true 6"]);
  });

  it("digitalWrite on an array puts the last pin on the least significant bit", () => {
    const device = boot(`digitalWrite([D1, D2, D3], 6); print(digitalRead(D1), digitalRead(D2), digitalRead(D3));`);
    expect(device.control.pinLevel(1)).toBe(0); // digitalRead made them inputs: read back what is driven
    expect(lines(device)).toEqual(["0 0 0"]);
    const kept = boot(`pinMode(D1, "output"); pinMode(D2, "output"); pinMode(D3, "output");
      digitalWrite([D1, D2, D3], 6); print(digitalRead([D1, D2, D3]), digitalRead([D3, D2, D1]));`);
    expect([1, 2, 3].map((n) => kept.control.pinLevel(n))).toEqual([1, 1, 0]);
    expect(lines(kept)).toEqual(["6 3"]);
  });

  it("a bound digitalWrite follows its holder: after holder[0] = undefined every copy throws Invalid pin", () => {
    const device = boot(`
      var holder = [D5];
      var write = digitalWrite.bind(undefined, holder);
      var cached = write;
      write(1);
      print(getPinMode(D5));
      holder[0] = undefined;
      try { cached(0); } catch (e) { print(e instanceof Error, e.message); }
      try { digitalRead.bind(undefined, holder)(); } catch (e) { print(e.message); }
      holder.length = 0;
      cached(1);
      print("emptied array: silently nothing");`);
    expect(lines(device)).toEqual(["output", "true Invalid pin", "Invalid pin", "emptied array: silently nothing"]);
    expect(device.control.pinLevel(5)).toBe(1);
  });

  it("fails loudly on a pin outside the board, a bad mode, and pinMode with an array", () => {
    const device = boot(`
      try { digitalWrite(40, 1); } catch (e) { print(e.message); }
      try { Pin(99); } catch (e) { print(e.message); }
      try { pinMode(D2, "bogus"); } catch (e) { print(e.message); }
      try { pinMode([D2], "output"); } catch (e) { print(e.message); }
      try { setWatch(function () {}, 40, {}); } catch (e) { print(e.message); }
      try { digitalWrite("D5", 1); } catch (e) { print(e.message); }`);
    expect(lines(device)).toEqual([
      "Invalid pin 40: this board has D0..D39",
      "Invalid pin 99: this board has D0..D39 (the chip would return undefined)",
      "Unknown pin mode",
      "Invalid pin",
      "Invalid pin 40: this board has D0..D39",
      'Invalid pin: "D5" (pass a Pin such as D5, or a pin number)',
    ]);
  });

  it("pinMode forces a mode; digitalRead turns an un-forced output into an input, as on Espruino", () => {
    const device = boot(`
      print(getPinMode(D9));
      digitalWrite(D9, 1); print(getPinMode(D9));
      digitalRead(D9); print(getPinMode(D9));
      pinMode(D9, "output"); digitalWrite(D9, 1); digitalRead(D9); print(getPinMode(D9));
      pinMode(D9, "input_pullup"); print(digitalRead(D9));`);
    expect(lines(device)).toEqual(["undefined", "output", "input", "output", "1"]);
  });

  it("reads what the outside world drives", () => {
    const device = boot(`pinMode(D4, "input"); setInterval(function () { print(digitalRead(D4)); }, 10);`);
    device.control.drivePin(4, 1, 15);
    device.control.drivePin(4, 0, 25);
    device.run(30);
    expect(lines(device)).toEqual(["0", "1", "0"]);
  });
  it("a reset unconfigures the pins but the outside world keeps driving them", () => {
    const device = boot(`setTimeout(function () { digitalWrite(D2, 1); }, 10); setInterval(function () { print(digitalRead(D6)); }, 10);`);
    device.control.drivePin(6, 1, 25);
    device.run(15);
    expect(device.control.pinLevel(2)).toBe(1);
    device.reboot();
    expect(device.control.pinMode(2)).toBeUndefined();
    expect(device.control.pinLevel(2)).toBe(0);
    device.run(20);
    expect(lines(device)).toEqual(["0", "1", "1"]); // at 10, then 25 and 35 after the reset at 15
  });
});

describe("setWatch", () => {
  const watching = (options: string) =>
    boot(`pinMode(D5, "input");
      setWatch(function (e) { print(e.state, e.time, e.lastTime, e.pin); }, D5, ${options});`);

  it("calls back on the chosen edge with state, time, lastTime and pin, after the change (never inside it)", () => {
    const device = watching(`{ repeat: true, edge: "rising" }`);
    device.control.pulsePin(5, 1, 10, 100);
    device.control.pulsePin(5, 1, 10, 200);
    device.run(300);
    expect(device.console).toEqual([
      { line: "true 0.1 0 D5", simMs: 100 },
      { line: "true 0.2 0.11 D5", simMs: 200 },
    ]);
  });

  it("edge both reports both levels; without repeat it fires once", () => {
    const both = watching(`{ repeat: true, edge: "both" }`);
    both.control.pulsePin(5, 1, 10, 100);
    both.run(300);
    expect(lines(both)).toEqual(["true 0.1 0 D5", "false 0.11 0.1 D5"]);
    const once = watching(`{ edge: "falling" }`);
    once.control.pulsePin(5, 1, 10, 100);
    once.control.pulsePin(5, 1, 10, 200);
    once.run(300);
    expect(lines(once)).toEqual(["false 0.11 0.1 D5"]);
  });

  it("debounce ignores bounces shorter than the debounce time and reports when the level changed", () => {
    const device = watching(`{ repeat: true, edge: "rising", debounce: 5 }`);
    for (const t of [100, 101, 102]) device.control.pulsePin(5, 1, 0.5, t); // bounces
    device.control.drivePin(5, 1, 103); // then it stays high
    device.run(200);
    expect(device.console).toEqual([{ line: "true 0.103 0 D5", simMs: 108 }]);
  });

  it("fires for level changes the device makes itself, and clearWatch stops it", () => {
    const device = boot(`
      var id = setWatch(function (e) { print("edge", e.state); }, D2, { repeat: true });
      digitalWrite(D2, 1);
      print("after write");
      setTimeout(function () { clearWatch(id); digitalWrite(D2, 0); }, 10);
      setTimeout(function () { try { clearWatch(id); } catch (e) { print(e.message); } }, 20);`);
    device.run(50);
    expect(lines(device)).toEqual(["after write", "edge true", `Unknown Watch 1`]);
  });

  it("rejects a bad edge (the interpreter's message) and an option the interpreter does not know", () => {
    const device = boot(`
      try { setWatch(function () {}, D5, { edge: "up" }); } catch (e) { print(e.message); }
      try { setWatch(function () {}, D5, { repeats: true }); } catch (e) { print(e.message); }
      try { setWatch(undefined, D5, {}); } catch (e) { print(e.message); }`);
    expect(lines(device)).toEqual([
      "'edge' in setWatch should be 1, -1, 0, 'rising', 'falling' or 'both'",
      expect.stringMatching(/^setWatch: unknown option 'repeats'/),
      "Function or String not supplied!",
    ]);
  });
});

describe("VCD waveform", () => {
  it("has one wire per pin that was driven or made an output, named Dn, timescale 1 us", () => {
    const device = boot(`
      var on = 0;
      pinMode(D7, "output");
      setInterval(function () { on = !on; digitalWrite(D2, on); }, 250);
      digitalRead(D12);`);
    device.control.drivePin(30, 1, 600);
    device.run(1000);
    const vcd = device.vcd();
    expect(vcd).toMatch(/^\$version .* \$end\n\$timescale 1 us \$end\n\$scope module esp32 \$end\n/);
    const wires = [...vcd.matchAll(/^\$var wire 1 (\S+) (D\d+) \$end$/gm)].map((m) => [m[2], m[1]]);
    expect(wires.map((w) => w[0])).toEqual(["D2", "D7", "D30"]);
    const id = Object.fromEntries(wires);
    expect(vcd).toContain(`#250000\n1${id.D2}\n#500000\n0${id.D2}\n#600000\n1${id.D30}\n#750000\n1${id.D2}\n#1000000\n0${id.D2}\n`);
    expect(vcd.trimEnd().split("\n").at(-1)).toBe(`0${id.D2}`);
  });

  it("is well-formed: definitions first, timestamps rising, every value change names a declared wire", () => {
    const device = boot(`var v = 0; setInterval(function () { v = (v + 1) & 7; digitalWrite([D3, D4, D5], v); }, 1.5);`);
    device.run(100);
    const lines = device.vcd().trimEnd().split("\n");
    const end = lines.indexOf("$enddefinitions $end");
    expect(end).toBeGreaterThan(0);
    const ids = new Set(lines.slice(0, end).flatMap((l) => /^\$var wire 1 (\S+) /.exec(l)?.[1] ?? []));
    expect(ids.size).toBe(3);
    let last = -1;
    for (const line of lines.slice(end + 1)) {
      if (line.startsWith("#")) {
        const t = Number(line.slice(1));
        expect(t).toBeGreaterThanOrEqual(last);
        last = t;
      } else if (line !== "$dumpvars" && line !== "$end") {
        expect(line).toMatch(/^[01]\S+$/);
        expect(ids.has(line.slice(1))).toBe(true);
      }
    }
    expect(last).toBe(100000);
  });

  it("keeps only the last level of a pin within one simulated instant", () => {
    const vcd = toVcd(
      [
        { ms: 1, pin: 0, level: 1 },
        { ms: 1, pin: 0, level: 0 },
        { ms: 2, pin: 0, level: 1 },
      ],
      [0],
    );
    expect(vcd).toContain("$end\n#2000\n1!\n");
    expect(vcd).not.toContain("#1000");
  });
});
