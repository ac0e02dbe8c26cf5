package provider

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// ProjectAccessToken is a project access token. GitLab cannot change a token, so every input
// change replaces it (a new token, the old one revoked).
type ProjectAccessToken struct{}

// ProjectAccessTokenRotationConfiguration is accepted for schema compatibility only (see validate).
type ProjectAccessTokenRotationConfiguration struct {
	ExpirationDays   int `pulumi:"expirationDays"`
	RotateBeforeDays int `pulumi:"rotateBeforeDays"`
}

func (r *ProjectAccessTokenRotationConfiguration) Annotate(a infer.Annotator) {
	a.SetToken("index/ProjectAccessTokenRotationConfiguration", "ProjectAccessTokenRotationConfiguration")
}

// ProjectAccessTokenArgs are its inputs.
type ProjectAccessTokenArgs struct {
	Project                    string                                   `pulumi:"project" provider:"replaceOnChanges"`
	Scopes                     []string                                 `pulumi:"scopes" provider:"replaceOnChanges"`
	Name                       *string                                  `pulumi:"name,optional" provider:"replaceOnChanges"`
	Description                *string                                  `pulumi:"description,optional" provider:"replaceOnChanges"`
	AccessLevel                *string                                  `pulumi:"accessLevel,optional" provider:"replaceOnChanges"`
	ExpiresAt                  *string                                  `pulumi:"expiresAt,optional" provider:"replaceOnChanges"`
	RotationConfiguration      *ProjectAccessTokenRotationConfiguration `pulumi:"rotationConfiguration,optional"`
	ValidatePastExpirationDate *bool                                    `pulumi:"validatePastExpirationDate,optional"`
}

// ProjectAccessTokenState are its outputs.
type ProjectAccessTokenState struct {
	Project                    string                                   `pulumi:"project"`
	Scopes                     []string                                 `pulumi:"scopes"`
	Name                       string                                   `pulumi:"name"`
	Description                string                                   `pulumi:"description"`
	AccessLevel                string                                   `pulumi:"accessLevel"`
	ExpiresAt                  string                                   `pulumi:"expiresAt"`
	RotationConfiguration      *ProjectAccessTokenRotationConfiguration `pulumi:"rotationConfiguration,optional"`
	ValidatePastExpirationDate bool                                     `pulumi:"validatePastExpirationDate"`
	Active                     bool                                     `pulumi:"active"`
	Revoked                    bool                                     `pulumi:"revoked"`
	CreatedAt                  string                                   `pulumi:"createdAt"`
	UserID                     int                                      `pulumi:"userId"`
	Token                      string                                   `pulumi:"token" provider:"secret"`
}

func (r *ProjectAccessToken) Annotate(a infer.Annotator) {
	a.SetToken("index/projectAccessToken", "ProjectAccessToken")
	a.Describe(r, "A project access token. Import id: <project>:<token id> (the token itself cannot be read back). Needs GitLab Premium on GitLab.com.")
}

func (a *ProjectAccessTokenArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.ExpiresAt, "Expiry date, YYYY-MM-DD (GitLab requires one).")
	an.Describe(&a.AccessLevel, "guest, planner, reporter, developer, maintainer (default) or owner.")
	an.Describe(&a.RotationConfiguration, "Not supported by this provider: set expiresAt and replace the token to rotate it.")
}

var tokenAccessLevels = []string{"guest", "planner", "reporter", "developer", "maintainer", "owner"}

func (a ProjectAccessTokenArgs) validate() (gitlab.AccessLevelValue, time.Time, error) {
	if a.RotationConfiguration != nil {
		return 0, time.Time{}, fmt.Errorf("rotationConfiguration: not supported by this provider; set expiresAt (and replace the resource to rotate)")
	}
	level, err := parseAccessLevel("accessLevel", orDefault(a.AccessLevel, "maintainer"), tokenAccessLevels...)
	if err != nil {
		return 0, time.Time{}, err
	}
	if len(a.Scopes) == 0 {
		return 0, time.Time{}, fmt.Errorf("scopes: at least one scope is required")
	}
	if a.ExpiresAt == nil {
		return 0, time.Time{}, fmt.Errorf("expiresAt: required (YYYY-MM-DD); GitLab does not issue tokens without an expiry")
	}
	day, err := time.Parse("2006-01-02", *a.ExpiresAt)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("expiresAt: %q is not a date YYYY-MM-DD", *a.ExpiresAt)
	}
	if orDefault(a.ValidatePastExpirationDate, true) && !day.After(time.Now()) {
		return 0, time.Time{}, fmt.Errorf("expiresAt: %s is not in the future", *a.ExpiresAt)
	}
	return level, day, nil
}

func tokenState(project string, t *gitlab.ProjectAccessToken, prev ProjectAccessTokenState, validate bool) ProjectAccessTokenState {
	s := ProjectAccessTokenState{Project: project, Scopes: t.Scopes, Name: t.Name, Description: t.Description,
		AccessLevel: accessLevelName(t.AccessLevel), ValidatePastExpirationDate: validate, Active: t.Active, Revoked: t.Revoked,
		CreatedAt: timestamp(t.CreatedAt), UserID: int(t.UserID), Token: prev.Token}
	if t.ExpiresAt != nil {
		s.ExpiresAt = time.Time(*t.ExpiresAt).Format("2006-01-02")
	}
	if t.Token != "" {
		s.Token = t.Token
	}
	return s
}

func (*ProjectAccessToken) Create(ctx context.Context, req infer.CreateRequest[ProjectAccessTokenArgs]) (infer.CreateResponse[ProjectAccessTokenState], error) {
	a := req.Inputs
	name := orDefault(a.Name, req.Name)
	level, day, err := a.validate()
	if err != nil {
		return infer.CreateResponse[ProjectAccessTokenState]{}, fmt.Errorf("gitlab: ProjectAccessToken %q: %w", name, err)
	}
	if req.DryRun {
		return infer.CreateResponse[ProjectAccessTokenState]{Output: ProjectAccessTokenState{Project: a.Project, Scopes: a.Scopes,
			Name: name, Description: orDefault(a.Description, ""), AccessLevel: accessLevelName(level), ExpiresAt: *a.ExpiresAt,
			ValidatePastExpirationDate: orDefault(a.ValidatePastExpirationDate, true)}}, nil
	}
	iso := gitlab.ISOTime(day)
	t, _, err := client(ctx).ProjectAccessTokens.CreateProjectAccessToken(a.Project, &gitlab.CreateProjectAccessTokenOptions{
		Name: &name, Description: a.Description, Scopes: &a.Scopes, AccessLevel: &level, ExpiresAt: &iso}, opts(ctx))
	if err != nil {
		return infer.CreateResponse[ProjectAccessTokenState]{}, apiError("creating", "ProjectAccessToken", a.Project+"/"+name, err)
	}
	return infer.CreateResponse[ProjectAccessTokenState]{ID: a.Project + ":" + strconv.FormatInt(t.ID, 10),
		Output: tokenState(a.Project, t, ProjectAccessTokenState{}, orDefault(a.ValidatePastExpirationDate, true))}, nil
}

func accessTokenID(id string) (string, int64, error) {
	parts, err := splitID("ProjectAccessToken", id, 2, "<project>:<token id>")
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("gitlab: ProjectAccessToken id %q: %q is not a token id (a number)", id, parts[1])
	}
	return parts[0], n, nil
}

func (*ProjectAccessToken) Read(ctx context.Context, req infer.ReadRequest[ProjectAccessTokenArgs, ProjectAccessTokenState]) (infer.ReadResponse[ProjectAccessTokenArgs, ProjectAccessTokenState], error) {
	project, tid, err := accessTokenID(req.ID)
	if err != nil {
		return infer.ReadResponse[ProjectAccessTokenArgs, ProjectAccessTokenState]{}, err
	}
	t, _, err := client(ctx).ProjectAccessTokens.GetProjectAccessToken(project, tid, opts(ctx))
	if isNotFound(err) || (err == nil && t.Revoked) {
		return infer.ReadResponse[ProjectAccessTokenArgs, ProjectAccessTokenState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[ProjectAccessTokenArgs, ProjectAccessTokenState]{}, apiError("reading", "ProjectAccessToken", req.ID, err)
	}
	p := req.Inputs
	s := tokenState(project, t, req.State, orDefault(p.ValidatePastExpirationDate, true))
	a := ProjectAccessTokenArgs{Project: project, Scopes: s.Scopes, Name: &s.Name, Description: keep(p.Description, s.Description, ""),
		AccessLevel: keep(p.AccessLevel, s.AccessLevel, "maintainer"), ExpiresAt: &s.ExpiresAt,
		ValidatePastExpirationDate: p.ValidatePastExpirationDate}
	if p.Name == nil && p.Project != "" {
		a.Name = nil
	}
	return infer.ReadResponse[ProjectAccessTokenArgs, ProjectAccessTokenState]{ID: req.ID, Inputs: a, State: s}, nil
}

// Update only records validatePastExpirationDate (every other input replaces the token).
func (*ProjectAccessToken) Update(_ context.Context, req infer.UpdateRequest[ProjectAccessTokenArgs, ProjectAccessTokenState]) (infer.UpdateResponse[ProjectAccessTokenState], error) {
	s := req.State
	s.ValidatePastExpirationDate = orDefault(req.Inputs.ValidatePastExpirationDate, true)
	return infer.UpdateResponse[ProjectAccessTokenState]{Output: s}, nil
}

func (*ProjectAccessToken) Delete(ctx context.Context, req infer.DeleteRequest[ProjectAccessTokenState]) (infer.DeleteResponse, error) {
	project, tid, err := accessTokenID(req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if _, err := client(ctx).ProjectAccessTokens.RevokeProjectAccessToken(project, tid, opts(ctx)); err != nil && !isNotFound(err) {
		return infer.DeleteResponse{}, apiError("revoking", "ProjectAccessToken", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}

// WireDependencies keeps the token secret in every response, whatever the SDK asks for.
func (*ProjectAccessToken) WireDependencies(f infer.FieldSelector, _ *ProjectAccessTokenArgs, s *ProjectAccessTokenState) {
	f.OutputField(&s.Token).AlwaysSecret()
}
