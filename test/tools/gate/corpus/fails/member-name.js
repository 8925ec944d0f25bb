// A class method named with an Espruino keyword (delete).
class Store {
  delete(k) { return k; }
}
if (new Store().delete(1) === 1) console.log("OK");
