/** SIGINT/SIGTERM for the canary commands: the first asks the run to finish cleanly, later ones are refused. */
export interface SignalSource {
    on(event: "SIGINT" | "SIGTERM", listener: (signal: NodeJS.Signals) => void): unknown;
    off(event: "SIGINT" | "SIGTERM", listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Aborts the returned signal on the first SIGINT/SIGTERM; `dispose()` removes the listeners. */
export function listenForInterrupt(
    signals: SignalSource,
    say: (line: string) => void,
    whatHappens: string,
): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    let count = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
        count++;
        if (count === 1) {
            say(
                `[canary] ${signal}: letting the running step finish, then ${whatHappens} (the stack stays consistent)`,
            );
            controller.abort();
        } else {
            say(`[canary] ${signal} again: still finishing; stopping now would leave the stack half-way`);
        }
    };
    signals.on("SIGINT", onSignal);
    signals.on("SIGTERM", onSignal);
    return {
        signal: controller.signal,
        dispose: () => {
            signals.off("SIGINT", onSignal);
            signals.off("SIGTERM", onSignal);
        },
    };
}
