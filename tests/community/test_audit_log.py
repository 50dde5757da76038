import pytest

from moderation.models import AuditEntry
from moderation.services import record_audit


@pytest.fixture
def entry(moderator, member, space):
    return record_audit(
        actor=moderator, action="member.warn", space=space, target=member, reason="Tone"
    )


def test_record_audit_keeps_actor_target_space_and_reason(entry, moderator, member, space):
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
    assert client.get("/admin/moderation/auditentry/").status_code == 200
    assert client.get("/admin/moderation/auditentry/add/").status_code == 403
    response = client.post(f"/admin/moderation/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = client.post(f"/admin/moderation/auditentry/{entry.pk}/change/", {"reason": "x"})
    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Tone"
