// A #private field.
class C {
  #x = 1;
  get() { return this.#x; }
}
if (new C().get() === 1) console.log("OK");
