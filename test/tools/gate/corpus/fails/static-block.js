// A static initialisation block.
class C {
  static { this.ready = true; }
}
if (C.ready) console.log("OK");
