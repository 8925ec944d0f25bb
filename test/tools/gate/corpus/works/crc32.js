// node: skip (E is an Espruino global)
// E.CRC32 is the standard CRC-32.
if (E.CRC32("123456789") === 0xcbf43926) console.log("OK");
