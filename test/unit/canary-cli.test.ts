import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { main } from "../../delivery/cli";
import { parseCommandLine, splitImage } from "../../delivery/canary/promote-args";
import { UsageError } from "../../delivery/shared/command";
import { EXIT_CODES } from "../../delivery/canary/controller";

const BASE = ["promote", "--stack", "staging", "--app", "shop", "--image-version", "2.0.0"];

describe("canary command line", () => {
    it("parses promote with defaults", () => {
        const args = parseCommandLine(BASE, {});
        assert.notEqual(args, "help");
        assert.deepEqual(args, {
            stack: "staging",
            app: "shop",
            imageVersion: "2.0.0",
            prometheus: "http://127.0.0.1:9090",
            prometheusGiven: false,
            workDir: process.cwd(),
            onInterrupt: "rollback",
            queryTimeoutMs: 5000,
        });
    });

    it("takes every option, and PROMETHEUS_URL from the environment", () => {
        const args = parseCommandLine(
            [...BASE, "--report", "r.md", "--work-dir", "/srv/p", "--interval-seconds", "5", "--on-interrupt", "hold"],
            { PROMETHEUS_URL: "http://prom:9090" },
        );
        assert.ok(args !== "help");
        assert.equal(args.prometheus, "http://prom:9090");
        assert.equal(args.prometheusGiven, true);
        assert.equal(args.report, "r.md");
        assert.equal(args.workDir, "/srv/p");
        assert.equal(args.intervalSeconds, 5);
        assert.equal(args.onInterrupt, "hold");
    });

    it("takes --image repo:tag instead of --image-version", () => {
        const args = parseCommandLine(
            ["promote", "--stack", "s", "--app", "shop", "--image", "registry.example.com:5000/shop/app:2.1.0"],
            {},
        );
        assert.ok(args !== "help");
        assert.equal(args.imageVersion, "2.1.0");
        assert.equal(args.imageRepository, "registry.example.com:5000/shop/app");
        assert.deepEqual(splitImage("r/app@sha256:abc"), { repository: "r/app", tag: "sha256:abc" });
    });

    for (const [argv, message] of [
        [[], /missing command: promote/],
        [["deploy", "--stack", "s"], /unknown command "deploy"/],
        [["promote", "--app", "shop", "--image-version", "2"], /--stack is required/],
        [["promote", "--stack", "s", "--image-version", "2"], /--app is required/],
        [["promote", "--stack", "s", "--app", "a"], /--image-version \(or --image <repo:tag>\) is required/],
        [[...BASE, "--interval-seconds", "0"], /--interval-seconds: "0" is not a positive integer/],
        [[...BASE, "--interval-seconds", "5s"], /--interval-seconds: "5s" is not a positive integer/],
        [[...BASE, "--on-interrupt", "ignore"], /--on-interrupt: "ignore" is not rollback or hold/],
        [[...BASE, "--prometheus", "not a url"], /--prometheus: "not a url" is not a URL/],
        [[...BASE, "--image", "r/app:1"], /give one of them, not both/],
        [
            ["promote", "--stack", "s", "--app", "a", "--image", "registry:5000/app"],
            /--image: "registry:5000\/app" has no tag/,
        ],
        [[...BASE, "--colour"], /Unknown option '--colour'/],
    ] as const) {
        it(`rejects ${JSON.stringify(argv.slice(argv.length > 7 ? 7 : 0))} naming the flag`, () => {
            assert.throws(
                () => parseCommandLine(argv, {}),
                (error: Error) => {
                    assert.ok(error instanceof UsageError);
                    assert.match(error.message, message);
                    return true;
                },
            );
        });
    }

    it("exits 2 with the usage on a usage error, 0 on --help", async () => {
        const err: string[] = [];
        const out: string[] = [];
        const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} };
        assert.equal(await main(["promote"], io), EXIT_CODES.usage);
        assert.match(err.join("\n"), /canary: --stack is required\n\nusage: canary promote/);
        assert.equal(await main(["--help"], io), 0);
        assert.match(out.join("\n"), /exit codes: 0 promoted, 3 rolled back, 4 interrupted, 1 error, 2 usage error/);
    });

    it("exits 1 naming the stack when it cannot be opened (no pulumi on PATH)", async () => {
        const err: string[] = [];
        const io = { out: () => undefined, err: (l: string) => err.push(l), env: {} };
        const path = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            assert.equal(await main(BASE, io), EXIT_CODES.error);
        } finally {
            process.env.PATH = path;
        }
        assert.match(err.join("\n"), /cannot open stack staging .*pulumi CLI is not on PATH/);
    });
});
