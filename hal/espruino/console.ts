/** The device console and the pure services that live on `E`. */
export const log = (text: string): void => console.log(text);
export const crc32 = (data: string | Uint8Array): number => E.CRC32(data);
