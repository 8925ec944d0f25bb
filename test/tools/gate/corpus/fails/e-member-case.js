// node: skip (E is an Espruino global) — E.crc32 for E.CRC32.
if (E.crc32("abc") === E.CRC32("abc")) console.log("OK");
