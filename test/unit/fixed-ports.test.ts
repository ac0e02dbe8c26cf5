/**
 * The test command runs test files side by side, so no two of them may listen on the same fixed
 * port. A fixed port is declared in one of two shapes, both read here from every .ts file under
 * test/ (helpers included):
 * - a private control plane's `{ apiserver: N, etcd: M }` (isolatedEnv), which also takes N+1 (the
 *   controller manager), N+2 (the scheduler) and M+1 (etcd's peer port);
 * - a const whose name ends in PORT or PORTS, every number in its value.
 * Each port belongs to one file; scripts/control-plane/selftest's ports and the control plane's
 * defaults (a developer's own `scripts/local up`) are owned too. A fixed port of a test file must
 * also lie outside the range `freePort` hands out, or another file could be handed it, and below
 * the kernel's ephemeral range, or any outgoing connection may hold it when the server binds.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(__dirname, "..", "..");

function tsFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "node_modules" ? [] : tsFiles(path);
        // This file's own examples are not ports anything listens on.
        return entry.name.endsWith(".ts") && path !== __filename ? [path] : [];
    });
}

const number = (text: string): number => Number(text.replace(/_/g, ""));

/** The fixed ports a source text declares, each with what it is (for the failure message). */
function declaredPorts(text: string): { port: number; what: string }[] {
    const ports: { port: number; what: string }[] = [];
    for (const m of text.matchAll(/apiserver:\s*([\d_]+),\s*etcd:\s*([\d_]+)/g)) {
        const apiserver = number(m[1] ?? "");
        const etcd = number(m[2] ?? "");
        ports.push(
            { port: apiserver, what: "apiserver" },
            { port: apiserver + 1, what: "controller manager (apiserver + 1)" },
            { port: apiserver + 2, what: "scheduler (apiserver + 2)" },
            { port: etcd, what: "etcd" },
            { port: etcd + 1, what: "etcd peer (etcd + 1)" },
        );
    }
    for (const m of text.matchAll(/\bconst\s+([A-Za-z_]*PORTS?)\b[^=]*=\s*([^;]*);/g)) {
        for (const literal of (m[2] ?? "").matchAll(/\b\d[\d_]*\b/g)) {
            ports.push({ port: number(literal[0]), what: m[1] ?? "" });
        }
    }
    return ports;
}

/** Ports the control plane's scripts fix: the selftest's, and the defaults of `cp` itself. */
function scriptPorts(): Map<number, string> {
    const owned = new Map<number, string>();
    const selftest = readFileSync(join(ROOT, "scripts", "control-plane", "selftest"), "utf8");
    const list = /^PORTS=\(([^)]*)\)/m.exec(selftest)?.[1] ?? "";
    for (const port of list.trim().split(/\s+/)) owned.set(Number(port), "scripts/control-plane/selftest");
    const cp = readFileSync(join(ROOT, "scripts", "control-plane", "cp"), "utf8");
    for (const m of cp.matchAll(/\$\{CICD_CP_[A-Z_]+_PORT:-(\d+)\}/g)) {
        owned.set(Number(m[1]), "scripts/control-plane/cp's defaults (a developer's scripts/local up)");
    }
    return owned;
}

/** freePort's range, read from its source. */
function freePortRange(): { first: number; last: number } {
    const source = readFileSync(join(ROOT, "test", "support", "free-port.ts"), "utf8");
    const first = number(/const FIRST = ([\d_]+);/.exec(source)?.[1] ?? "NaN");
    const count = number(/const COUNT = ([\d_]+);/.exec(source)?.[1] ?? "NaN");
    return { first, last: first + count - 1 };
}

/** The kernel's ephemeral port range (Linux's default when the file cannot be read). */
function ephemeralRange(): { first: number; last: number } {
    let text = "32768 60999";
    try {
        text = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    } catch {
        // Not Linux: keep the default.
    }
    const [first = NaN, last = NaN] = text.trim().split(/\s+/).map(Number);
    return { first, last };
}

describe("fixed ports of the test files", () => {
    it("reads both shapes of declaration", () => {
        assert.deepEqual(
            declaredPorts("isolatedEnv({ apiserver: 30443, etcd: 30_379 });").map((p) => p.port),
            [30443, 30444, 30445, 30379, 30380],
        );
        assert.deepEqual(
            declaredPorts("const BACKEND_PORTS = { stable: 12_420, canary: 12_421 };").map((p) => p.port),
            [12420, 12421],
        );
    });

    it("no port is declared by two files, or by a file and the control plane's scripts", () => {
        const owners = new Map<number, Set<string>>();
        for (const [port, owner] of scriptPorts()) owners.set(port, new Set([owner]));
        let found = 0;
        for (const file of tsFiles(join(ROOT, "test"))) {
            const name = relative(ROOT, file);
            for (const { port } of declaredPorts(readFileSync(file, "utf8"))) {
                found++;
                owners.set(port, (owners.get(port) ?? new Set<string>()).add(name));
            }
        }
        assert.ok(found >= 10, `only ${found} fixed ports found: did the declarations change shape?`);
        const shared = [...owners].filter(([, files]) => files.size > 1);
        assert.deepEqual(
            shared.map(([port, files]) => `${port}: ${[...files].join(", ")}`),
            [],
            "give one of them ports of its own",
        );
    });

    const ranges = [
        { range: freePortRange, what: "freePort's range", moved: "free-port.ts's FIRST and COUNT moved" },
        { range: ephemeralRange, what: "the kernel's ephemeral range", moved: "ip_local_port_range unreadable" },
    ];
    for (const { range, what, moved } of ranges) {
        it(`no test file fixes a port in ${what}`, () => {
            const { first, last } = range();
            assert.ok(Number.isInteger(first) && last > first, moved);
            const inside = tsFiles(join(ROOT, "test")).flatMap((file) =>
                declaredPorts(readFileSync(file, "utf8"))
                    .filter(({ port }) => port >= first && port <= last)
                    .map(({ port, what: of }) => `${relative(ROOT, file)}: ${port} (${of})`),
            );
            assert.deepEqual(inside, [], `fixed ports inside ${what} ${first}-${last}`);
        });
    }
});
