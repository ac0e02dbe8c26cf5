import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { PrivateRegistryArgs } from "../../components/registry/private-registry";
import { validatePrivateRegistry } from "../../components/registry/private-registry/validate";
import {
    isCidr,
    isCron,
    isDnsLabel,
    isQuantity,
    isRegistryUser,
    quantityValue,
    resourceOrderProblems,
} from "../../components/shared/validators";
import { privateRegistrySchema } from "../../config/schema";

/** Asserts each value is accepted (or refused), naming the value that was not. */
function expectAll(predicate: (value: string) => boolean, values: readonly string[], expected: boolean): void {
    for (const value of values) {
        assert.equal(
            predicate(value),
            expected,
            `${JSON.stringify(value)} should be ${expected ? "accepted" : "refused"}`,
        );
    }
}

describe("isDnsLabel", () => {
    it("GIVEN RFC 1123 labels up to 63 characters THEN accepts them", () => {
        expectAll(isDnsLabel, ["a", "0", "registry", "ci-push-2", "a".repeat(63), `a${"-".repeat(61)}z`], true);
    });

    it("GIVEN 64 characters, upper case, '_', '.', or '-' at either end THEN refuses", () => {
        expectAll(isDnsLabel, ["", "a".repeat(64), "Registry", "my_ns", "a.b", "-ab", "ab-", "a b", "ä"], false);
    });
});

describe("isRegistryUser", () => {
    it("GIVEN 1-64 characters of letters, digits, '.', '_', '-' led by a letter or digit THEN accepts", () => {
        expectAll(isRegistryUser, ["u", "ci-push", "Cluster.Pull_2", `a${"b".repeat(63)}`], true);
    });

    it("GIVEN a colon, a space, leading punctuation or 65 characters THEN refuses", () => {
        expectAll(isRegistryUser, ["", "ci:push", "a b", "-ci", ".ci", `a${"b".repeat(64)}`], false);
    });
});

describe("isCidr", () => {
    it("GIVEN IPv4 prefixes 0-32 THEN accepts them, host bits set or not", () => {
        expectAll(isCidr, ["10.0.0.0/16", "0.0.0.0/0", "255.255.255.255/32", "192.168.1.7/24", "10.0.0.0/8"], true);
    });

    it("GIVEN IPv4 beyond /32, octets above 255, leading zeros, or no prefix THEN refuses", () => {
        expectAll(
            isCidr,
            [
                "10.0.0.0/33",
                "10.0.0.0",
                "10.0.0.0/",
                "10.0.0.256/8",
                "010.0.0.0/8",
                "10.0.0.0/08",
                "10.0.0/8",
                "10.0.0.0.0/8",
                "10.0.0.0/-1",
                "10.0.0.0/16/2",
                " 10.0.0.0/16",
                "a.b.c.d/8",
            ],
            false,
        );
    });

    it("GIVEN IPv6 prefixes 0-128, compressed, full or with an IPv4 tail THEN accepts them", () => {
        expectAll(
            isCidr,
            [
                "fd00::/8",
                "::/0",
                "::1/128",
                "2001:db8::/32",
                "2001:0db8:0000:0000:0000:ff00:0042:8329/128",
                "FD00:ABCD::1/64",
                "1:2:3:4:5:6:7::/112",
                "::ffff:10.0.0.0/104",
                "1:2:3:4:5:6:10.0.0.1/128",
            ],
            true,
        );
    });

    it("GIVEN IPv6 beyond /128, two '::', nine groups, 5-digit groups or a zone THEN refuses", () => {
        expectAll(
            isCidr,
            [
                "::1/129",
                "fd00::/1280",
                "1::2::3/64",
                "1:2:3:4:5:6:7:8:9/64",
                "1:2:3:4:5:6:7/64",
                "1:2:3:4:5:6:7:8::/64",
                "12345::/16",
                "fe80::1%eth0/64",
                "fd00:/8",
                ":::/8",
                "g::/8",
                "::ffff:10.0.0.256/104",
                "1:2:3:4:5:6:7:10.0.0.1/128",
            ],
            false,
        );
    });
});

describe("isQuantity", () => {
    it("GIVEN Kubernetes quantities with binary, decimal or exponent suffixes THEN accepts them", () => {
        expectAll(
            isQuantity,
            [
                "20Gi",
                "100m",
                "1",
                "0",
                "0.5",
                ".5",
                "5.",
                "1.5Gi",
                "512Mi",
                "2Ei",
                "1k",
                "1M",
                "250u",
                "1e3",
                "1E-2",
                "1E",
                "+1",
            ],
            true,
        );
    });

    it("GIVEN spaces, units Kubernetes lacks, two suffixes or a negative value THEN refuses", () => {
        expectAll(
            isQuantity,
            ["", "20 GB", "20GB", "20gi", "1K", "1B", "1Ki1", "1KiB", "1e", "-1", "Gi", ".", "1..2", "1,5"],
            false,
        );
    });
});

describe("quantityValue", () => {
    it("GIVEN each suffix kind THEN gives the value in base units, so quantities of one resource order", () => {
        const cases: [string, number][] = [
            ["250m", 0.25],
            ["2", 2],
            [".5", 0.5],
            ["1.5Gi", 1.5 * 2 ** 30],
            ["256Mi", 256 * 2 ** 20],
            ["1k", 1000],
            ["1M", 1e6],
            ["1E", 1e18],
            ["1e3", 1000],
            ["1E-2", 0.01],
            ["+4Ki", 4096],
        ];
        for (const [text, value] of cases) {
            assert.equal(quantityValue(text), value, text);
        }
        assert.ok(quantityValue("1Gi") > quantityValue("1G"));
        assert.ok(quantityValue("1500m") > quantityValue("1"));
        assert.throws(() => quantityValue("1GB"), /"1GB" is not a Kubernetes quantity/);
    });

    it("GIVEN requests and limits THEN names each request above its limit, defaults filled in and marked", () => {
        const defaults = { cpuRequest: "100m", cpuLimit: "500m", memoryRequest: "128Mi", memoryLimit: "256Mi" };
        assert.deepEqual(resourceOrderProblems({ cpuRequest: "500m", memoryLimit: "128Mi" }, defaults), []);
        assert.deepEqual(resourceOrderProblems({ cpuRequest: "1", memoryLimit: "100Mi" }, defaults), [
            {
                field: "cpuRequest",
                message: 'cpuRequest "1" exceeds cpuLimit "500m" (the default): raise cpuLimit or lower cpuRequest',
            },
            {
                field: "memoryLimit",
                message:
                    'memoryRequest "128Mi" (the default) exceeds memoryLimit "100Mi": raise memoryLimit or lower memoryRequest',
            },
        ]);
        assert.deepEqual(
            resourceOrderProblems({ tmpSizeLimit: "2Gi", ephemeralStorageLimit: "1Gi" }, {}).map((p) => p.field),
            ["tmpSizeLimit"],
        );
    });
});

describe("isCron", () => {
    it("GIVEN five fields with lists, ranges, steps and names THEN accepts", () => {
        expectAll(
            isCron,
            [
                "*/15 0-5 * * MON-FRI",
                "0 3 * * 0",
                "59 23 31 12 6",
                "0 0 1 JAN,jul *",
                "5/10 * ? * SUN",
                "0,30 8-18/2 1-7 */3 mon,wed,fri",
                "  0  3 * * *  ",
                "00 03 * * *",
            ],
            true,
        );
    });

    it("GIVEN the @ macros a CronJob documents THEN accepts them", () => {
        expectAll(isCron, ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"], true);
    });

    it("GIVEN values out of range, inverted ranges, zero steps or wrong field counts THEN refuses", () => {
        expectAll(
            isCron,
            [
                "61 * * * *",
                "60 * * * *",
                "* 24 * * *",
                "* * 0 * *",
                "* * 32 * *",
                "* * * 13 *",
                "* * * * 7",
                "5-1 * * * *",
                "*/0 * * * *",
                "1/2/3 * * * *",
                "1-2-3 * * * *",
                "1,,2 * * * *",
                "*-5 * * * *",
                "MON * * * *",
                "* * * * MONDAY",
                "0 3 * *",
                "0 0 3 * * *",
                "every sunday",
                "",
            ],
            false,
        );
    });

    it("GIVEN unknown or padded macros, TZ prefixes or Quartz extensions THEN refuses", () => {
        expectAll(
            isCron,
            ["@every 1h", "@DAILY", "@daily ", " @daily", "@reboot", "TZ=UTC 0 3 * * *", "0 3 L * *", "0 3 * * 5#2"],
            false,
        );
    });
});

describe("the config schema and the PrivateRegistry", () => {
    const args: PrivateRegistryArgs = {
        namespace: "registry",
        pushPassword: "push-password-0001",
        pullPassword: "pull-password-0001",
        httpSecret: "0123456789abcdef0123456789abcdef",
        pushNamespaces: ["ci"],
        pullNamespaces: [],
    };
    const componentAccepts = (change: Partial<PrivateRegistryArgs>): boolean => {
        try {
            validatePrivateRegistry("reg", { ...args, ...change });
            return true;
        } catch {
            return false;
        }
    };
    const cases: [Partial<PrivateRegistryArgs>, boolean][] = [
        [{ pullCidrs: ["10.0.0.0/32"] }, true],
        [{ pullCidrs: ["10.0.0.0/33"] }, false],
        [{ pullCidrs: ["fd00::/128"] }, true],
        [{ pullCidrs: ["fd00::/129"] }, false],
        [{ storageSize: "1.5Ti" }, true],
        [{ storageSize: "20 GB" }, false],
        [{ garbageCollectSchedule: "*/15 0-5 * * MON-FRI" }, true],
        [{ garbageCollectSchedule: "@daily" }, true],
        [{ garbageCollectSchedule: "61 * * * *" }, false],
        [{ pushUsername: "ci:push" }, false],
    ];
    for (const [change, accepted] of cases) {
        it(`GIVEN ${JSON.stringify(change)} THEN both ${accepted ? "accept" : "refuse"} it`, () => {
            assert.equal(privateRegistrySchema.safeParse(change).success, accepted, "schema");
            assert.equal(componentAccepts(change), accepted, "component");
        });
    }

    it("GIVEN a bad CIDR or schedule THEN the schema names the value in its message", () => {
        const result = privateRegistrySchema.safeParse({
            pullCidrs: ["10.0.0.0/33"],
            garbageCollectSchedule: "61 * * * *",
        });
        assert.deepEqual(
            result.error?.issues.map((issue) => [issue.path.join("."), issue.message]),
            [
                ["pullCidrs.0", '"10.0.0.0/33" is not a CIDR (e.g. 10.0.0.0/16)'],
                ["garbageCollectSchedule", '"61 * * * *" is not a 5-field cron schedule or @macro'],
            ],
        );
    });
});
