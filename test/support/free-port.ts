/**
 * Ports for the servers a test starts as processes of their own (nginx, backends, Prometheus, the
 * registry, sshd), which bind some time after the port is chosen.
 *
 * They come from below the kernel's ephemeral range on purpose: a port from `listen(0)` is an
 * ephemeral one, and once released, any outgoing connection in the meantime (a scrape, a plugin's
 * gRPC client, the load generator) may take it as its local port, and the server's bind then fails
 * with EADDRINUSE. Nothing binds in this range unless it was handed out here. The fixed ports of
 * the isolated control planes lie above it.
 */
import { createServer } from "node:net";

const FIRST = 10_000;
const COUNT = 2_400;
const handedOut = new Set<number>();

/** A port on 127.0.0.1 that nobody listens on now and that this process has not handed out before. */
export async function freePort(): Promise<number> {
    const start = Math.floor(Math.random() * COUNT);
    for (let i = 0; i < COUNT; i++) {
        const port = FIRST + ((start + i) % COUNT);
        if (!handedOut.has(port) && (await canBind(port))) {
            handedOut.add(port);
            return port;
        }
    }
    throw new Error(`no free port on 127.0.0.1 in ${FIRST}-${FIRST + COUNT - 1}`);
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
