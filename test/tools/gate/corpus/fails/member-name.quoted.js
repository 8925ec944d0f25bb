// A class member with a quoted name.
class C {
  "my-name"() { return 1; }
}
if (new C()["my-name"]() === 1) console.log("OK");
