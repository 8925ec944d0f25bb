import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { ACK, encodePacket, NAK, PacketType } from "../../../hal/packet.ts";
import { createSerialDevice, toJS } from "../../../hal/sim/repl.ts";

function device() {
  const out: number[] = [];
  const sim = createSerialDevice({ board: boards.esp32, write: (b) => out.push(...b) });
  sim.device.bootFromStorage();
  const take = () => Buffer.from(out.splice(0)).toString("latin1");
  return { ...sim, take };
}

describe("the simulated REPL and packet protocol (upstream jsinteractive.c)", () => {
  it("echoes a line and answers =value then the prompt", () => {
    const d = device();
    d.repl.feed("1+2\r");
    expect(d.take()).toBe("1+2\r\n=3\r\n>");
  });

  it("evaluates a DLE line silently, but prints its output and errors", () => {
    const d = device();
    d.repl.feed('\x10print("hi")\n\x10foo()\n');
    const text = d.take();
    expect(text).toContain("hi\r\n");
    expect(text).toContain("Uncaught ReferenceError");
    expect(text).not.toContain("=");
  });

  it("EVAL answers ACK and a RESPONSE packet with E.toJS of the result, or NAK and the error", () => {
    const d = device();
    d.repl.feed(encodePacket(PacketType.EVAL, '"a"+1'));
    expect([...Buffer.from(d.take(), "latin1")]).toEqual([ACK, ...encodePacket(PacketType.RESPONSE, '"a1"')]);
    d.repl.feed(encodePacket(PacketType.EVAL, "nope()"));
    const text = d.take();
    expect(text.charCodeAt(0)).toBe(NAK);
    expect(text).toContain("Uncaught ReferenceError");
  });

  it("FILE_SEND then DATA writes Storage; FILE_RECV reads it back in DATA packets and an empty one", () => {
    const d = device();
    d.repl.feed(encodePacket(PacketType.FILE_SEND, '{fn:"f",s:5}'));
    d.repl.feed(encodePacket(PacketType.DATA, "hel"));
    d.repl.feed(encodePacket(PacketType.DATA, "lo"));
    expect([...Buffer.from(d.take(), "latin1")]).toEqual([ACK, ACK, ACK]);
    expect(d.device.storage.read("f")).toBe("hello");
    d.repl.feed(encodePacket(PacketType.FILE_RECV, '{"fn":"f"}'));
    expect([...Buffer.from(d.take(), "latin1")]).toEqual([ACK, ...encodePacket(PacketType.DATA, "hello"), ...encodePacket(PacketType.DATA, "")]);
    d.repl.feed(encodePacket(PacketType.FILE_RECV, '{"fn":"missing"}'));
    expect(d.take().charCodeAt(0)).toBe(NAK);
  });

  it("ACKs DATA even when the Storage write fails, as upstream does (only a read-back proves a write)", () => {
    const d = device();
    d.device.storage.write("f", "abc", 0, 6);
    d.repl.feed(encodePacket(PacketType.FILE_SEND, '{"fn":"f","s":6,"offs":1}'));
    d.repl.feed(encodePacket(PacketType.DATA, "zz"));
    const text = d.take();
    expect(text.charCodeAt(0)).toBe(ACK);
    expect(text).toContain("File already written with different data");
  });

  it("NAKs a packet that is still incomplete 5 s after its start", () => {
    const d = device();
    d.repl.feed(encodePacket(PacketType.EVAL, "1+1").subarray(0, 5));
    d.device.run(4000);
    d.repl.tick();
    expect(d.take()).toBe("");
    d.device.run(1100);
    d.repl.tick();
    expect(d.take().charCodeAt(0)).toBe(NAK);
  });

  it("ESC [ 2 H erases a half-typed line", () => {
    const d = device();
    d.repl.feed("\x10junk(");
    d.repl.feed("\x1b[2H\x101+1\n");
    expect(d.take()).not.toContain("Uncaught");
  });

  it("E.toJS quotes strings with escapes", () => {
    expect(toJS('a"\n\x01')).toBe('"a\\"\\n\\x01"');
    expect(toJS({ a: [1, "x"], "b-c": true })).toBe('{a:[1,"x"],"b-c":true}');
  });
});
