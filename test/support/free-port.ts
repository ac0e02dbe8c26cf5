/**
 * Ports for the servers a test starts as processes of their own (nginx, backends, Prometheus, the
 * registry, sshd), which bind some time after the port is chosen.
 *
 * They come from below the kernel's ephemeral range on purpose: a port from `listen(0)` is an
 * ephemeral one, and once released, any outgoing connection in the meantime (a scrape, a plugin's
 * gRPC client, the load generator) may take it as its local port, and the server's bind then fails
 * with EADDRINUSE. Nothing binds in this range unless it was handed out here. The fixed ports of
 * the isolated control planes lie above it and, for the same reason, below the ephemeral range.
 *
 * Test files run side by side, each in a process of its own: a port handed out is also reserved
 * by a file named after it in a directory all of them share, holding the process id, so another
 * process does not hand out the same port before the server binds it. A reservation of a process
 * that has ended is taken over; a process removes its own when it exits.
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FIRST = 10_000;
const COUNT = 2_400;
const handedOut = new Set<number>();
const RESERVATIONS = join(tmpdir(), "cicd-free-ports");

process.on("exit", () => {
    for (const port of handedOut) {
        try {
            unlinkSync(join(RESERVATIONS, String(port)));
        } catch {
            // Already gone: nothing to release.
        }
    }
});

/** A port on 127.0.0.1 that nobody listens on now and that this process has not handed out before. */
export async function freePort(): Promise<number> {
    const start = Math.floor(Math.random() * COUNT);
    for (let i = 0; i < COUNT; i++) {
        const port = FIRST + ((start + i) % COUNT);
        if (!handedOut.has(port) && (await canBind(port)) && reserve(port)) {
            handedOut.add(port);
            return port;
        }
    }
    throw new Error(`no free port on 127.0.0.1 in ${FIRST}-${FIRST + COUNT - 1}`);
}

/** Claims `port` for this process among all test processes; false if a live one holds it. */
function reserve(port: number): boolean {
    mkdirSync(RESERVATIONS, { recursive: true });
    const file = join(RESERVATIONS, String(port));
    // Written first, then linked in place: a reservation is never seen without its process id.
    const mine = `${file}.${process.pid}`;
    writeFileSync(mine, String(process.pid));
    try {
        for (let attempt = 0; attempt < 2; attempt++) {
            try {
                linkSync(mine, file);
                return true;
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
            }
            let holder: string;
            try {
                holder = readFileSync(file, "utf8");
            } catch (error) {
                // Released between our link and this read: the next attempt may take it.
                if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
                throw error;
            }
            if (isAlive(Number(holder))) return false;
            try {
                unlinkSync(file);
            } catch {
                // Another process took it over first: the next attempt sees whose it is.
            }
        }
        return false;
    } finally {
        unlinkSync(mine);
    }
}

function isAlive(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

function canBind(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = createServer();
        server.once("error", () => {
            resolve(false);
        });
        server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
            server.close(() => {
                resolve(true);
            });
        });
    });
}
