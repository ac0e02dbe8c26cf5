export {
    GITHUB_ENVIRONMENTS,
    type GitHubEnvironment,
    GitHubRepositorySettings,
    type GitHubRepositorySettingsArgs,
} from "./repository-settings";
