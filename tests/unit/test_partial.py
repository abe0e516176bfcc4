from runner.checks.partial import MISSING, matches, mismatches, project, unified_diff

DEPLOY = {
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
    "spec": {"replicas": 3, "template": {"spec": {"containers": [
        {"name": "side", "image": "busybox:1.35.0"},
        {"name": "web", "image": "agnhost:2.66.1", "ports": [{"containerPort": 8080}]},
    ]}}},
    "status": {"readyReplicas": 2},
}


def test_only_given_fields_matter():
    assert matches({"metadata": {"labels": {"app": "web"}}}, DEPLOY)
    assert not matches({"metadata": {"labels": {"app": "db"}}}, DEPLOY)


def test_missing_field_is_reported_with_path():
    (m,) = mismatches({"spec": {"paused": True}}, DEPLOY)
    assert m.path == "spec.paused" and m.actual is MISSING
    assert "<missing>" in m.line()


def test_list_items_match_order_free_and_subset():
    exp = {"spec": {"template": {"spec": {"containers": [{"name": "web"}, {"name": "side"}]}}}}
    assert matches(exp, DEPLOY)


def test_list_item_diff_points_at_the_field_of_the_item():
    exp = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "agnhost:2.99"}]}}}}
    (m,) = mismatches(exp, DEPLOY)
    assert m.path == "spec.template.spec.containers[name=web].image"
    assert m.expected == "agnhost:2.99" and m.actual == "agnhost:2.66.1"


def test_each_expected_item_needs_a_distinct_actual_item():
    assert not matches([{"a": 1}, {"a": 1}], [{"a": 1, "b": 2}])
    assert matches([{"a": 1}, {"a": 1}], [{"a": 1}, {"a": 1, "b": 2}])


def test_numbers_and_numeric_strings_are_equal_but_bools_are_strict():
    assert matches({"spec": {"replicas": "3"}}, DEPLOY)
    assert not matches({"spec": {"replicas": 4}}, DEPLOY)
    assert matches({"s": True}, {"s": "True"})
    assert not matches({"s": True}, {"s": 1})
    assert not matches({"s": False}, {"s": "True"})


def test_null_means_absent():
    assert matches({"spec": {"paused": None}}, DEPLOY)
    assert not matches({"spec": {"replicas": None}}, DEPLOY)


def test_project_and_diff_show_only_asked_fields():
    exp = {"spec": {"replicas": 5}}
    assert project(DEPLOY, exp) == {"spec": {"replicas": 3}}
    diff = unified_diff(exp, DEPLOY, "web")
    assert "-  replicas: 5" in diff and "+  replicas: 3" in diff
    assert not any("status" in line for line in diff)
