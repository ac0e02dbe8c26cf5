package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi-go-provider/infer"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// UserRunner is a runner created with the runner-creation workflow (POST /user/runners); its
// authentication token (glrt-…) is an output. Rotating the token = replacing the resource.
type UserRunner struct{}

// UserRunnerArgs are its inputs.
type UserRunnerArgs struct {
	RunnerType      string   `pulumi:"runnerType" provider:"replaceOnChanges"`
	GroupID         *int     `pulumi:"groupId,optional" provider:"replaceOnChanges"`
	ProjectID       *int     `pulumi:"projectId,optional" provider:"replaceOnChanges"`
	Description     *string  `pulumi:"description,optional"`
	AccessLevel     *string  `pulumi:"accessLevel,optional"`
	Locked          *bool    `pulumi:"locked,optional"`
	MaintenanceNote *string  `pulumi:"maintenanceNote,optional"`
	MaximumTimeout  *int     `pulumi:"maximumTimeout,optional"`
	Paused          *bool    `pulumi:"paused,optional"`
	TagLists        []string `pulumi:"tagLists,optional"`
	Untagged        *bool    `pulumi:"untagged,optional"`
}

// UserRunnerState are its outputs.
type UserRunnerState struct {
	RunnerType      string   `pulumi:"runnerType"`
	GroupID         *int     `pulumi:"groupId,optional"`
	ProjectID       *int     `pulumi:"projectId,optional"`
	Description     string   `pulumi:"description"`
	AccessLevel     string   `pulumi:"accessLevel"`
	Locked          bool     `pulumi:"locked"`
	MaintenanceNote string   `pulumi:"maintenanceNote"`
	MaximumTimeout  int      `pulumi:"maximumTimeout"`
	Paused          bool     `pulumi:"paused"`
	TagLists        []string `pulumi:"tagLists"`
	Untagged        bool     `pulumi:"untagged"`
	Token           string   `pulumi:"token" provider:"secret"`
}

func (r *UserRunner) Annotate(a infer.Annotator) {
	a.SetToken("index/userRunner", "UserRunner")
	a.Describe(r, "A runner linked to the token's user (POST /user/runners). Import id: the runner id (the token cannot be read back, so an imported runner has an empty token). instance_type needs an administrator's token; group_type the Owner role; project_type Maintainer; all need the create_runner scope (or api).")
}

func (a *UserRunnerArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.RunnerType, "instance_type, group_type or project_type.")
	an.Describe(&a.AccessLevel, "not_protected or ref_protected (only jobs of protected branches and tags).")
	an.Describe(&a.TagLists, "The runner's tags.")
	an.Describe(&a.Untagged, "Whether the runner picks jobs without tags.")
}

func (a UserRunnerArgs) validate() error {
	switch a.RunnerType {
	case "instance_type":
		if a.GroupID != nil || a.ProjectID != nil {
			return fmt.Errorf("runnerType instance_type takes neither groupId nor projectId")
		}
	case "group_type":
		if a.GroupID == nil || a.ProjectID != nil {
			return fmt.Errorf("runnerType group_type needs groupId (and no projectId)")
		}
	case "project_type":
		if a.ProjectID == nil || a.GroupID != nil {
			return fmt.Errorf("runnerType project_type needs projectId (and no groupId)")
		}
	default:
		return fmt.Errorf("runnerType: %q is not one of instance_type, group_type, project_type", a.RunnerType)
	}
	if l := orDefault(a.AccessLevel, "not_protected"); l != "not_protected" && l != "ref_protected" {
		return fmt.Errorf("accessLevel: %q is not one of not_protected, ref_protected", l)
	}
	if !orDefault(a.Untagged, len(a.TagLists) == 0) && len(a.TagLists) == 0 {
		return fmt.Errorf("tagLists: a runner that does not run untagged jobs needs at least one tag")
	}
	return nil
}

func sortedTags(tags []string) []string {
	out := append([]string{}, tags...)
	slices.Sort(out)
	return out
}

func (a UserRunnerArgs) preview() UserRunnerState {
	return UserRunnerState{
		RunnerType: a.RunnerType, GroupID: a.GroupID, ProjectID: a.ProjectID, Description: orDefault(a.Description, ""),
		AccessLevel: orDefault(a.AccessLevel, "not_protected"), Locked: orDefault(a.Locked, false),
		MaintenanceNote: orDefault(a.MaintenanceNote, ""), MaximumTimeout: orDefault(a.MaximumTimeout, 0),
		Paused: orDefault(a.Paused, false), TagLists: sortedTags(a.TagLists), Untagged: orDefault(a.Untagged, len(a.TagLists) == 0),
	}
}

func int64p(v *int) *int64 {
	if v == nil {
		return nil
	}
	return ptr(int64(*v))
}

func (*UserRunner) Create(ctx context.Context, req infer.CreateRequest[UserRunnerArgs]) (infer.CreateResponse[UserRunnerState], error) {
	a := req.Inputs
	if err := a.validate(); err != nil {
		return infer.CreateResponse[UserRunnerState]{}, fmt.Errorf("gitlab: UserRunner %q: %w", req.Name, err)
	}
	s := a.preview()
	if req.DryRun {
		return infer.CreateResponse[UserRunnerState]{Output: s}, nil
	}
	o := &gitlab.CreateUserRunnerOptions{RunnerType: &a.RunnerType, GroupID: int64p(a.GroupID), ProjectID: int64p(a.ProjectID),
		Description: a.Description, Paused: a.Paused, Locked: a.Locked, RunUntagged: ptr(s.Untagged), TagList: ptr(s.TagLists),
		AccessLevel: ptr(s.AccessLevel), MaximumTimeout: int64p(a.MaximumTimeout), MaintenanceNote: a.MaintenanceNote}
	r, _, err := client(ctx).Users.CreateUserRunner(o, opts(ctx))
	if err != nil {
		return infer.CreateResponse[UserRunnerState]{}, apiError("creating", "UserRunner", req.Name, err)
	}
	s.Token = r.Token
	return infer.CreateResponse[UserRunnerState]{ID: strconv.FormatInt(r.ID, 10), Output: s}, nil
}

func runnerState(d *gitlab.RunnerDetails, prev UserRunnerState) UserRunnerState {
	s := UserRunnerState{RunnerType: d.RunnerType, Description: d.Description, AccessLevel: d.AccessLevel, Locked: d.Locked,
		MaintenanceNote: d.MaintenanceNote, MaximumTimeout: int(d.MaximumTimeout), Paused: d.Paused,
		TagLists: sortedTags(d.TagList), Untagged: d.RunUntagged, Token: prev.Token}
	if d.RunnerType == "group_type" && len(d.Groups) > 0 {
		s.GroupID = ptr(int(d.Groups[0].ID))
	}
	if d.RunnerType == "project_type" && len(d.Projects) > 0 {
		s.ProjectID = ptr(int(d.Projects[0].ID))
	}
	return s
}

func (*UserRunner) Read(ctx context.Context, req infer.ReadRequest[UserRunnerArgs, UserRunnerState]) (infer.ReadResponse[UserRunnerArgs, UserRunnerState], error) {
	id, err := strconv.ParseInt(req.ID, 10, 64)
	if err != nil {
		return infer.ReadResponse[UserRunnerArgs, UserRunnerState]{}, fmt.Errorf("gitlab: UserRunner id %q is not a runner id (a number)", req.ID)
	}
	d, _, err := client(ctx).Runners.GetRunnerDetails(id, opts(ctx))
	if isNotFound(err) {
		return infer.ReadResponse[UserRunnerArgs, UserRunnerState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[UserRunnerArgs, UserRunnerState]{}, apiError("reading", "UserRunner", req.ID, err)
	}
	s := runnerState(d, req.State)
	p := req.Inputs
	a := UserRunnerArgs{RunnerType: s.RunnerType, GroupID: s.GroupID, ProjectID: s.ProjectID,
		Description: keep(p.Description, s.Description, ""), AccessLevel: keep(p.AccessLevel, s.AccessLevel, "not_protected"),
		Locked: keep(p.Locked, s.Locked, false), MaintenanceNote: keep(p.MaintenanceNote, s.MaintenanceNote, ""),
		MaximumTimeout: keep(p.MaximumTimeout, s.MaximumTimeout, 0), Paused: keep(p.Paused, s.Paused, false),
		TagLists: keepSlice(p.TagLists, s.TagLists), Untagged: keep(p.Untagged, s.Untagged, len(s.TagLists) == 0)}
	if p.TagLists != nil && slices.Equal(sortedTags(p.TagLists), s.TagLists) {
		a.TagLists = p.TagLists // same set: keep the program's order
	}
	return infer.ReadResponse[UserRunnerArgs, UserRunnerState]{ID: req.ID, Inputs: a, State: s}, nil
}

func (*UserRunner) Update(ctx context.Context, req infer.UpdateRequest[UserRunnerArgs, UserRunnerState]) (infer.UpdateResponse[UserRunnerState], error) {
	a := req.Inputs
	if err := a.validate(); err != nil {
		return infer.UpdateResponse[UserRunnerState]{}, fmt.Errorf("gitlab: UserRunner %q: %w", req.ID, err)
	}
	s := a.preview()
	s.Token = req.State.Token
	if req.DryRun {
		return infer.UpdateResponse[UserRunnerState]{Output: s}, nil
	}
	id, _ := strconv.ParseInt(req.ID, 10, 64)
	o := &gitlab.UpdateRunnerDetailsOptions{Description: ptr(s.Description), Paused: ptr(s.Paused), TagList: ptr(s.TagLists),
		RunUntagged: ptr(s.Untagged), Locked: ptr(s.Locked), AccessLevel: ptr(s.AccessLevel),
		MaximumTimeout: ptr(int64(s.MaximumTimeout)), MaintenanceNote: ptr(s.MaintenanceNote)}
	d, _, err := client(ctx).Runners.UpdateRunnerDetails(id, o, opts(ctx))
	if err != nil {
		return infer.UpdateResponse[UserRunnerState]{}, apiError("updating", "UserRunner", req.ID, err)
	}
	return infer.UpdateResponse[UserRunnerState]{Output: runnerState(d, req.State)}, nil
}

func (*UserRunner) Delete(ctx context.Context, req infer.DeleteRequest[UserRunnerState]) (infer.DeleteResponse, error) {
	id, _ := strconv.ParseInt(req.ID, 10, 64)
	_, err := client(ctx).Runners.RemoveRunner(id, opts(ctx))
	if err != nil && !isNotFound(err) {
		return infer.DeleteResponse{}, apiError("deleting", "UserRunner", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}

// WireDependencies keeps the token secret in every response, whatever the SDK asks for.
func (*UserRunner) WireDependencies(f infer.FieldSelector, _ *UserRunnerArgs, s *UserRunnerState) {
	f.OutputField(&s.Token).AlwaysSecret()
}
