"""The audit log (community.audit): one vocabulary with a label for each action, append-only."""

import ast
from pathlib import Path

import pytest

from community import audit
from community.models import AuditAction, AuditEntry


@pytest.fixture
def entry(moderator, member, space):
    return audit.record(
        actor=moderator, action=AuditAction.MEMBER_WARN, space=space, target=member, reason="Tone"
    )


def test_record_keeps_actor_target_space_and_reason(entry, moderator, member, space):
    entry.refresh_from_db()
    assert entry.actor == moderator
    assert entry.actor_label == moderator.display_name
    assert entry.space == space
    assert entry.target_id == member.pk
    assert entry.target_label == member.display_name
    assert entry.reason == "Tone"


def test_audit_entry_cannot_be_updated_with_save(entry):
    entry.reason = "Rewritten"
    with pytest.raises(TypeError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Tone"


def test_audit_entry_cannot_be_deleted(entry):
    with pytest.raises(TypeError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_entries_cannot_be_bulk_updated_or_deleted(entry):
    with pytest.raises(TypeError):
        AuditEntry.objects.all().update(reason="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Tone"


def test_admin_is_read_only(entry, staff, login):
    client = login(staff)
    assert client.get("/admin/community/auditentry/").status_code == 200
    assert client.get("/admin/community/auditentry/add/").status_code == 403
    response = client.post(f"/admin/community/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = client.post(f"/admin/community/auditentry/{entry.pk}/change/", {"reason": "x"})
    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Tone"


# One vocabulary --------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(AuditAction), ids=lambda a: a.value)
def test_every_action_has_a_label_of_its_own(action):
    label = AuditEntry(action=action).action_label
    assert label and label != action.value


def test_an_action_outside_the_vocabulary_is_refused_and_nothing_is_written(moderator, space):
    with pytest.raises(ValueError, match="AuditAction"):
        audit.record(actor=moderator, action="member.scold", space=space, reason="x")
    assert not AuditEntry.objects.exists()


ROOT = Path(__file__).resolve().parents[2]
APPS = ("community", "moderation", "threads", "realtime")


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _name(node) -> str:
    """``a.b.c`` for an attribute chain, the name for a plain name, else ""."""
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_audit_record(call: ast.Call) -> bool:
    return _name(call.func) in ("audit.record", "community.audit.record", "record_audit")


def _is_member(node) -> bool:
    named = _name(node) if node is not None else ""
    return (
        named.startswith("AuditAction.")
        and named.removeprefix("AuditAction.") in AuditAction.__members__
    )


def _enclosing(tree, node) -> ast.FunctionDef | None:
    around = [
        f
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef) and f.lineno <= node.lineno <= f.end_lineno
    ]
    return around[-1] if around else None


def test_every_action_written_anywhere_is_an_audit_action():
    """Every ``audit.record(action=…)`` in the apps names an AuditAction member (a raw or
    computed string would bypass the vocabulary), and nothing else creates entries. A helper
    that passes its own ``action`` parameter on is checked at each of its calls instead."""
    problems = []
    for path, tree in _sources():
        where = path.relative_to(ROOT)
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        for node in calls:
            called = _name(node.func)
            creates = called.endswith("AuditEntry.objects.create") or called == "AuditEntry"
            if creates and where != Path("community/audit.py"):
                problems.append(f"{where}:{node.lineno} creates an AuditEntry directly")
            if not _is_audit_record(node):
                continue
            action = next((k.value for k in node.keywords if k.arg == "action"), None)
            if _is_member(action):
                continue
            helper = _enclosing(tree, node)
            if (
                isinstance(action, ast.Name)
                and helper is not None
                and action.id in {a.arg for a in helper.args.args + helper.args.kwonlyargs}
            ):
                uses = [c for c in calls if _name(c.func).split(".")[-1] == helper.name]
                for use in uses:
                    passed = next((k.value for k in use.keywords if k.arg == action.id), None)
                    if not _is_member(passed):
                        problems.append(
                            f"{where}:{use.lineno} passes action {ast.unparse(passed)}"
                            if passed is not None
                            else f"{where}:{use.lineno} calls {helper.name} without action="
                        )
                if uses:
                    continue
            problems.append(f"{where}:{node.lineno} records action {ast.unparse(action)}")
    assert not problems, "\n".join(problems)


def test_nothing_but_deidentify_updates_the_audit_log():
    """``QuerySet.update`` is refused on AuditEntry's queryset; going round it is allowed only
    in community.audit.deidentify (erasure)."""
    problems = []
    for path, tree in _sources():
        where = path.relative_to(ROOT)
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func).endswith("QuerySet.update"):
                inside = [f.name for f in functions if f.lineno <= node.lineno <= f.end_lineno]
                if (where, inside[-1:]) != (Path("community/audit.py"), ["deidentify"]):
                    problems.append(f"{where}:{node.lineno} bypasses the append-only queryset")
    assert not problems, "\n".join(problems)
