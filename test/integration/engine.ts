/** The toolchain helpers live in test/support/engine.ts; this path stays for the one file still importing it. */
export * from "../support/engine";
