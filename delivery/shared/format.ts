/** How the command, the reports and the decision record print ratios and durations. */
export function formatRatio(value: number | null): string {
    return value === null ? "n/a" : `${(value * 100).toFixed(2)}%`;
}

export function formatSeconds(value: number | null): string {
    return value === null ? "n/a" : value < 1 ? `${(value * 1000).toFixed(0)}ms` : `${value.toFixed(2)}s`;
}
