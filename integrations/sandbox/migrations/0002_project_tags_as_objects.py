"""Project tags become the workspace's tag objects (`{id, name, color}`), as WebWork documents them.

A project's tags were a JSON list of names; each name becomes a ProjectTag of the project's
workspace (one per name, without a color) and the project is tagged with it.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def tags_from_names(apps, schema_editor):
    db = schema_editor.connection.alias
    Project = apps.get_model("sandbox", "Project")
    ProjectTag = apps.get_model("sandbox", "ProjectTag")
    ProjectTagging = apps.get_model("sandbox", "ProjectTagging")
    tags, taggings = {}, []
    for project in Project.objects.using(db).exclude(tag_names=[]).only("id", "workspace_id", "tag_names"):
        names = project.tag_names if isinstance(project.tag_names, list) else []
        for name in dict.fromkeys(str(n).strip()[:100] for n in names if str(n).strip()):
            key = (project.workspace_id, name)
            if key not in tags:
                tags[key] = ProjectTag.objects.using(db).create(workspace_id=project.workspace_id, name=name)
            taggings.append(ProjectTagging(project_id=project.id, tag_id=tags[key].id))
    ProjectTagging.objects.using(db).bulk_create(taggings, batch_size=500)


def names_from_tags(apps, schema_editor):
    db = schema_editor.connection.alias
    Project = apps.get_model("sandbox", "Project")
    ProjectTagging = apps.get_model("sandbox", "ProjectTagging")
    names = {}
    for tagging in ProjectTagging.objects.using(db).select_related("tag").order_by("id"):
        names.setdefault(tagging.project_id, []).append(tagging.tag.name)
    for project_id, tag_names in names.items():
        Project.objects.using(db).filter(pk=project_id).update(tag_names=tag_names)


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="project", old_name="tags", new_name="tag_names"),
        migrations.CreateModel(
            name="ProjectTag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("color", models.CharField(blank=True, max_length=16, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="project_tags",
                        to="sandbox.workspace",
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(fields=("workspace", "name"), name="sandbox_project_tag_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="ProjectTagging",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="taggings",
                        to="sandbox.project",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="taggings",
                        to="sandbox.projecttag",
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(fields=("project", "tag"), name="sandbox_project_tagging_unique")
                ],
            },
        ),
        migrations.AddField(
            model_name="project",
            name="tags",
            field=models.ManyToManyField(
                blank=True, related_name="projects", through="sandbox.ProjectTagging", to="sandbox.projecttag"
            ),
        ),
        migrations.RunPython(tags_from_names, names_from_tags),
        migrations.RemoveField(model_name="project", name="tag_names"),
    ]
