package provider

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// ProjectEnvironment is a deployment environment of a project.
type ProjectEnvironment struct{}

// ProjectEnvironmentArgs are its inputs.
type ProjectEnvironmentArgs struct {
	Project             string  `pulumi:"project" provider:"replaceOnChanges"`
	Name                *string `pulumi:"name,optional" provider:"replaceOnChanges"`
	Description         *string `pulumi:"description,optional"`
	ExternalURL         *string `pulumi:"externalUrl,optional"`
	Tier                *string `pulumi:"tier,optional"`
	AutoStopSetting     *string `pulumi:"autoStopSetting,optional"`
	ClusterAgentID      *int    `pulumi:"clusterAgentId,optional"`
	FluxResourcePath    *string `pulumi:"fluxResourcePath,optional"`
	KubernetesNamespace *string `pulumi:"kubernetesNamespace,optional"`
	StopBeforeDestroy   *bool   `pulumi:"stopBeforeDestroy,optional"`
}

// ProjectEnvironmentState are its outputs.
type ProjectEnvironmentState struct {
	Project             string `pulumi:"project"`
	Name                string `pulumi:"name"`
	Description         string `pulumi:"description"`
	ExternalURL         string `pulumi:"externalUrl"`
	Tier                string `pulumi:"tier"`
	AutoStopSetting     string `pulumi:"autoStopSetting"`
	ClusterAgentID      *int   `pulumi:"clusterAgentId,optional"`
	FluxResourcePath    string `pulumi:"fluxResourcePath"`
	KubernetesNamespace string `pulumi:"kubernetesNamespace"`
	StopBeforeDestroy   bool   `pulumi:"stopBeforeDestroy"`
	AutoStopAt          string `pulumi:"autoStopAt"`
	CreatedAt           string `pulumi:"createdAt"`
	UpdatedAt           string `pulumi:"updatedAt"`
	Slug                string `pulumi:"slug"`
	State               string `pulumi:"state"`
}

func (r *ProjectEnvironment) Annotate(a infer.Annotator) {
	a.SetToken("index/projectEnvironment", "ProjectEnvironment")
	a.Describe(r, "An environment of a project. Import id: <project>:<environment id>. GitLab deletes only stopped environments: set stopBeforeDestroy.")
}

func (a *ProjectEnvironmentArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "The environment's name (defaults to the resource name).")
	an.Describe(&a.Tier, "production, staging, testing, development or other.")
	an.Describe(&a.StopBeforeDestroy, "Stop the environment before deleting it (GitLab deletes only stopped ones).")
}

var environmentTiers = []string{"production", "staging", "testing", "development", "other"}

func (a ProjectEnvironmentArgs) validate() error {
	if a.Tier != nil && !contains(environmentTiers, *a.Tier) {
		return fmt.Errorf("tier: %q is not one of production, staging, testing, development, other", *a.Tier)
	}
	if a.AutoStopSetting != nil && *a.AutoStopSetting != "always" && *a.AutoStopSetting != "with_action" {
		return fmt.Errorf("autoStopSetting: %q is not always or with_action", *a.AutoStopSetting)
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, l := range list {
		if l == v {
			return true
		}
	}
	return false
}

func timestamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func environmentState(project string, e *gitlab.Environment, stop bool) ProjectEnvironmentState {
	s := ProjectEnvironmentState{Project: project, Name: e.Name, Description: e.Description, ExternalURL: e.ExternalURL,
		Tier: e.Tier, AutoStopSetting: e.AutoStopSetting, FluxResourcePath: e.FluxResourcePath,
		KubernetesNamespace: e.KubernetesNamespace, StopBeforeDestroy: stop, AutoStopAt: timestamp(e.AutoStopAt),
		CreatedAt: timestamp(e.CreatedAt), UpdatedAt: timestamp(e.UpdatedAt), Slug: e.Slug, State: e.State}
	if e.ClusterAgent != nil {
		s.ClusterAgentID = ptr(int(e.ClusterAgent.ID))
	}
	return s
}

func (*ProjectEnvironment) Create(ctx context.Context, req infer.CreateRequest[ProjectEnvironmentArgs]) (infer.CreateResponse[ProjectEnvironmentState], error) {
	a := req.Inputs
	name := orDefault(a.Name, req.Name)
	if err := a.validate(); err != nil {
		return infer.CreateResponse[ProjectEnvironmentState]{}, fmt.Errorf("gitlab: ProjectEnvironment %q: %w", name, err)
	}
	if req.DryRun {
		return infer.CreateResponse[ProjectEnvironmentState]{Output: ProjectEnvironmentState{Project: a.Project, Name: name,
			Description: orDefault(a.Description, ""), ExternalURL: orDefault(a.ExternalURL, ""), Tier: orDefault(a.Tier, ""),
			StopBeforeDestroy: orDefault(a.StopBeforeDestroy, false)}}, nil
	}
	o := &gitlab.CreateEnvironmentOptions{Name: &name, Description: a.Description, ExternalURL: a.ExternalURL, Tier: a.Tier,
		ClusterAgentID: int64p(a.ClusterAgentID), KubernetesNamespace: a.KubernetesNamespace, FluxResourcePath: a.FluxResourcePath,
		AutoStopSetting: a.AutoStopSetting}
	e, _, err := client(ctx).Environments.CreateEnvironment(a.Project, o, opts(ctx))
	if err != nil {
		return infer.CreateResponse[ProjectEnvironmentState]{}, apiError("creating", "ProjectEnvironment", a.Project+"/"+name, err)
	}
	return infer.CreateResponse[ProjectEnvironmentState]{ID: a.Project + ":" + strconv.FormatInt(e.ID, 10),
		Output: environmentState(a.Project, e, orDefault(a.StopBeforeDestroy, false))}, nil
}

func environmentID(id string) (string, int64, error) {
	parts, err := splitID("ProjectEnvironment", id, 2, "<project>:<environment id>")
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("gitlab: ProjectEnvironment id %q: %q is not an environment id (a number)", id, parts[1])
	}
	return parts[0], n, nil
}

func (*ProjectEnvironment) Read(ctx context.Context, req infer.ReadRequest[ProjectEnvironmentArgs, ProjectEnvironmentState]) (infer.ReadResponse[ProjectEnvironmentArgs, ProjectEnvironmentState], error) {
	project, eid, err := environmentID(req.ID)
	if err != nil {
		return infer.ReadResponse[ProjectEnvironmentArgs, ProjectEnvironmentState]{}, err
	}
	e, _, err := client(ctx).Environments.GetEnvironment(project, eid, opts(ctx))
	if isNotFound(err) {
		return infer.ReadResponse[ProjectEnvironmentArgs, ProjectEnvironmentState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[ProjectEnvironmentArgs, ProjectEnvironmentState]{}, apiError("reading", "ProjectEnvironment", req.ID, err)
	}
	p := req.Inputs
	s := environmentState(project, e, orDefault(p.StopBeforeDestroy, req.State.StopBeforeDestroy))
	a := ProjectEnvironmentArgs{Project: project, Name: &s.Name, Description: keep(p.Description, s.Description, ""),
		ExternalURL: keep(p.ExternalURL, s.ExternalURL, ""), Tier: keep(p.Tier, s.Tier, orDefault(p.Tier, s.Tier)),
		AutoStopSetting:  keep(p.AutoStopSetting, s.AutoStopSetting, orDefault(p.AutoStopSetting, s.AutoStopSetting)),
		FluxResourcePath: keep(p.FluxResourcePath, s.FluxResourcePath, ""), KubernetesNamespace: keep(p.KubernetesNamespace, s.KubernetesNamespace, ""),
		StopBeforeDestroy: p.StopBeforeDestroy, ClusterAgentID: s.ClusterAgentID}
	if p.Name == nil && p.Project != "" {
		a.Name = nil // the name came from the resource name
	}
	return infer.ReadResponse[ProjectEnvironmentArgs, ProjectEnvironmentState]{ID: req.ID, Inputs: a, State: s}, nil
}

func (*ProjectEnvironment) Update(ctx context.Context, req infer.UpdateRequest[ProjectEnvironmentArgs, ProjectEnvironmentState]) (infer.UpdateResponse[ProjectEnvironmentState], error) {
	a := req.Inputs
	if err := a.validate(); err != nil {
		return infer.UpdateResponse[ProjectEnvironmentState]{}, fmt.Errorf("gitlab: ProjectEnvironment %q: %w", req.ID, err)
	}
	if req.DryRun {
		s := req.State
		s.Description, s.ExternalURL = orDefault(a.Description, ""), orDefault(a.ExternalURL, "")
		s.Tier, s.StopBeforeDestroy = orDefault(a.Tier, s.Tier), orDefault(a.StopBeforeDestroy, false)
		return infer.UpdateResponse[ProjectEnvironmentState]{Output: s}, nil
	}
	project, eid, err := environmentID(req.ID)
	if err != nil {
		return infer.UpdateResponse[ProjectEnvironmentState]{}, err
	}
	o := &gitlab.EditEnvironmentOptions{Description: ptr(orDefault(a.Description, "")), ExternalURL: ptr(orDefault(a.ExternalURL, "")),
		Tier: a.Tier, ClusterAgentID: int64p(a.ClusterAgentID), KubernetesNamespace: ptr(orDefault(a.KubernetesNamespace, "")),
		FluxResourcePath: ptr(orDefault(a.FluxResourcePath, "")), AutoStopSetting: a.AutoStopSetting}
	e, _, err := client(ctx).Environments.EditEnvironment(project, eid, o, opts(ctx))
	if err != nil {
		return infer.UpdateResponse[ProjectEnvironmentState]{}, apiError("updating", "ProjectEnvironment", req.ID, err)
	}
	return infer.UpdateResponse[ProjectEnvironmentState]{Output: environmentState(project, e, orDefault(a.StopBeforeDestroy, false))}, nil
}

func (*ProjectEnvironment) Delete(ctx context.Context, req infer.DeleteRequest[ProjectEnvironmentState]) (infer.DeleteResponse, error) {
	project, eid, err := environmentID(req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	c := client(ctx)
	if req.State.StopBeforeDestroy {
		if _, _, err := c.Environments.StopEnvironment(project, eid, &gitlab.StopEnvironmentOptions{}, opts(ctx)); err != nil && !isNotFound(err) {
			return infer.DeleteResponse{}, apiError("stopping", "ProjectEnvironment", req.ID, err)
		}
	}
	if _, err := c.Environments.DeleteEnvironment(project, eid, opts(ctx)); err != nil && !isNotFound(err) {
		return infer.DeleteResponse{}, apiError("deleting", "ProjectEnvironment", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}
