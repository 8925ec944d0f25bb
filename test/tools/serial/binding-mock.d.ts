// @serialport/binding-mock ships types its package.json "exports" do not expose under
// moduleResolution "Bundler"; the part the tests use, as that package declares it (dist/index.d.ts).
declare module "@serialport/binding-mock" {
  import type { SerialPortStream } from "@serialport/stream";
  type Binding = ConstructorParameters<typeof SerialPortStream>[0]["binding"];
  export const MockBinding: Binding & {
    reset(): void;
    createPort(path: string, options?: { echo?: boolean; record?: boolean; readyData?: Buffer; maxReadSize?: number; manufacturer?: string; vendorId?: string; productId?: string }): void;
  };
}
