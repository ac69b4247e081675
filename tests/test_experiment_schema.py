"""Experiment files: parsing, the paper's numbers per run, profiles and job expansion."""

from __future__ import annotations

import textwrap

import pytest

from bench.errors import BenchError
from bench.experiment import (
    REPORT_ITEMS,
    list_experiments,
    load_experiment,
    sweep_points,
    variant_name,
)
from bench.jobs import declaring, expand, profile_settings
from bench.results import job_id
from reports.items import ITEMS

PROFILES = """
[profile.quick]
epochs = 3
folds = 2
size = [30, 40]
paper-ignet = { copies = 4, n_folds = 5, validation_fraction = 0.2 }
paper-keras = { learn_test = 500 }

[profile.paper]
epochs = 10
"""


def _write(tmp_path, body, name="exp", profiles=PROFILES):
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(body) + profiles)
    return path


def _experiment(
    tmp_path,
    runs='[[run]]\nengine = "ignet"\nnetwork = "fig5"\n',
    protocols='["paper-ignet"]',
    dataset="drawings",
    targets='[[target]]\nname = "age_category"\n',
    extra="",
    profiles=PROFILES,
):
    body = (
        f'title = "t"\ndataset = "{dataset}"\nprotocols = {protocols}\n{extra}\n{runs}\n{targets}\n'
    )
    return load_experiment(_write(tmp_path, body, profiles=profiles))


def test_run_name_defaults_to_network_and_options_to_empty(tmp_path):
    exp = _experiment(
        tmp_path,
        runs=(
            '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n'
            '[[run]]\nengine = "ignet"\nnetwork = "fig5"\nname = "fig5 x10"\n'
            "options = { w_scale = [1, 10] }\n"
        ),
    )
    assert exp.name == "exp"
    assert [r.name for r in exp.runs] == ["fig5", "fig5 x10"]
    assert exp.runs[0].options == {}
    assert exp.runs[1].options == {"w_scale": [1, 10]}


def test_two_runs_with_the_same_name_are_refused(tmp_path):
    runs = '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n' * 2
    with pytest.raises(BenchError, match="share a name"):
        _experiment(tmp_path, runs=runs)


def test_runs_with_the_same_network_but_distinct_names_load(tmp_path):
    runs = (
        '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n'
        '[[run]]\nengine = "keras"\nnetwork = "fig5"\nname = "keras fig5"\n'
    )
    exp = _experiment(tmp_path, runs=runs)
    assert len(exp.runs) == 2


def test_unknown_report_item_is_refused(tmp_path):
    with pytest.raises(BenchError, match="no_such_item"):
        _experiment(tmp_path, extra='report = ["confusion", "no_such_item"]')


def test_known_report_items_are_kept_in_order(tmp_path):
    exp = _experiment(tmp_path, extra='report = ["training_time", "confusion"]')
    assert exp.report == ["training_time", "confusion"]


def test_report_items_match_the_report_builders():
    assert set(REPORT_ITEMS) == set(ITEMS)
    assert tuple(REPORT_ITEMS) == tuple(sorted(ITEMS))


def test_paper_numbers_per_run_override_the_targets(tmp_path):
    runs = (
        '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n'
        '[[run]]\nengine = "ignet"\nnetwork = "fig5"\nname = "own"\n'
        "paper = { age_months = { mape = 4.0 } }\n"
        '[[run]]\nengine = "ignet"\nnetwork = "fig5"\nname = "none"\npaper = {}\n'
    )
    targets = (
        '[[target]]\nname = "age_months"\npaper = { mape = 0.4 }\n'
        '[[target]]\nname = "age_category"\npaper = { accuracy = 1.0 }\n'
    )
    exp = _experiment(tmp_path, runs=runs, targets=targets)
    assert exp.paper() == {
        "fig5": {"age_months": {"mape": 0.4}, "age_category": {"accuracy": 1.0}},
        "own": {"age_months": {"mape": 4.0}, "age_category": {}},
        "none": {"age_months": {}, "age_category": {}},
    }


def test_targets_get_a_task_and_an_empty_paper_by_default(tmp_path):
    targets = '[[target]]\nname = "age_months"\n[[target]]\nname = "gender"\n'
    exp = _experiment(tmp_path, targets=targets)
    assert [(t.task, t.paper) for t in exp.targets] == [
        ("regression", {}),
        ("classification", {}),
    ]


def test_smoke_keeps_the_first_target_one_fold_one_epoch_tiny_images(tmp_path):
    targets = '[[target]]\nname = "age_months"\n[[target]]\nname = "age_category"\n'
    exp = _experiment(tmp_path, targets=targets)
    jobs = expand(exp, "smoke")
    assert len(jobs) == 1
    (job,) = jobs
    assert job.target == "age_months"
    assert job.fold == 0
    assert job.settings.epochs == 1
    assert job.settings.size == (18, 29)
    quick = expand(exp, "quick")
    assert {j.target for j in quick} == {"age_months", "age_category"}
    assert len(quick) == 2 * 2  # two targets, folds = 2
    assert all(j.settings.epochs == 3 and j.settings.size == (30, 40) for j in quick)


def test_smoke_sizes_are_merged_over_quick_ones(tmp_path):
    exp = _experiment(tmp_path)
    smoke = profile_settings(exp, "smoke")
    assert smoke.epochs == 1 and smoke.folds == 1 and smoke.size == (18, 29)
    # Smoke's own sizes win, quick's other keys stay.
    assert smoke.table("paper-ignet") == {"copies": 2, "n_folds": 3, "validation_fraction": 0.2}
    assert smoke.table("paper-keras") == {"learn_test": 120, "validation": 30, "n_folds": 3}
    # The experiment's own quick profile is not changed by deriving smoke.
    assert exp.profiles["quick"].table("paper-ignet") == {
        "copies": 4,
        "n_folds": 5,
        "validation_fraction": 0.2,
    }
    assert exp.profiles["quick"].epochs == 3


def test_unknown_profile_is_refused(tmp_path):
    exp = _experiment(tmp_path)
    with pytest.raises(BenchError, match="fast"):
        profile_settings(exp, "fast")
    with pytest.raises(BenchError):
        expand(exp, "fast")


def test_a_profile_the_file_does_not_declare_names_the_experiments_that_do(tmp_path):
    exp = _experiment(tmp_path)
    with pytest.raises(BenchError, match="declares no standard profile") as raised:
        expand(exp, "standard")
    assert "it declares quick, paper" in str(raised.value)
    assert "table1" in str(raised.value)


def test_a_file_declares_only_the_known_profiles(tmp_path):
    with pytest.raises(BenchError, match=r"\[profile.medium\].*quick, standard, paper"):
        _experiment(tmp_path, profiles=PROFILES + "[profile.medium]\n")
    with pytest.raises(BenchError, match=r"missing \[profile.paper\]"):
        _experiment(tmp_path, profiles="[profile.quick]\n")


def test_a_whole_run_under_standard_takes_the_experiments_that_declare_it():
    shipped = [load_experiment(name) for name in list_experiments()]
    standard = [e.name for e in declaring(shipped, "standard")]
    assert standard == [e.name for e in shipped if "standard" in e.profiles]
    assert 0 < len(standard) < len(shipped)
    for profile in ("smoke", "quick", "paper"):
        assert declaring(shipped, profile) == shipped


def test_the_standard_profile_runs_both_cnns_and_the_baselines_under_three_protocols():
    runs: dict[tuple[str, str], set[str]] = {}
    for name in list_experiments():
        exp = load_experiment(name)
        if "standard" not in exp.profiles:
            continue
        assert exp.profiles["standard"].epochs > 10  # early stopping ends it, not the cap
        for job in expand(exp, "standard"):
            runs.setdefault((job.network, job.target), set()).add(job.protocol)
    three = {"image-split", "leak-free"}
    for network in ("fig2", "fig5", "pixels", "hog"):
        for target in ("age_category", "age_months"):
            assert three < runs[network, target], (network, target)


def test_leak_free_mirrors_the_experiments_own_paper_protocol(tmp_path):
    exp = _experiment(tmp_path, protocols='["paper-keras", "leak-free"]')
    jobs = expand(exp, "quick")
    assert {j.protocol for j in jobs} == {"paper-keras", "leak-free"}
    assert all(j.engine == "ignet" for j in jobs)
    assert {j.settings.protocol_base for j in jobs} == {"paper-keras"}
    leak_free = [j for j in jobs if j.protocol == "leak-free"]
    assert leak_free and all(j.settings.protocol_options == {"learn_test": 500} for j in leak_free)


def test_image_split_mirrors_the_paper_protocol_as_leak_free_does(tmp_path):
    exp = _experiment(tmp_path, protocols='["paper-ignet", "image-split", "leak-free"]')
    jobs = expand(exp, "quick")
    assert {j.protocol for j in jobs} == {"paper-ignet", "image-split", "leak-free"}
    assert {j.settings.protocol_base for j in jobs} == {"paper-ignet"}
    assert len({job_id(j.key()) for j in jobs}) == len(jobs) == 3 * 2  # 2 folds each


def test_a_profile_may_run_some_of_the_protocols(tmp_path):
    profiles = PROFILES.replace("[profile.paper]", 'protocols = ["leak-free"]\n[profile.paper]')
    body = (
        'title = "t"\ndataset = "drawings"\nprotocols = ["paper-keras", "image-split", '
        '"leak-free"]\n[[run]]\nengine = "ignet"\nnetwork = "fig5"\n'
        '[[target]]\nname = "age"\n'
    )
    exp = load_experiment(_write(tmp_path, body, profiles=profiles))
    quick = expand(exp, "quick")
    assert {j.protocol for j in quick} == {"leak-free"}
    assert {j.settings.protocol_base for j in quick} == {"paper-keras"}
    assert {j.protocol for j in expand(exp, "paper")} == {"paper-keras", "image-split", "leak-free"}
    wrong = PROFILES.replace("[profile.paper]", 'protocols = ["partition"]\n[profile.paper]')
    with pytest.raises(BenchError, match=r"profile\.quick\.protocols: 'partition'"):
        load_experiment(_write(tmp_path, body, name="wrong", profiles=wrong))


def test_a_sweep_makes_one_variant_per_point(tmp_path):
    runs = '[[run]]\nengine = "nearest"\nnetwork = "pixels"\n'
    profiles = PROFILES.replace(
        "[profile.paper]", "sweep = { strength = [0, 0.5], copies = [3, 10] }\n[profile.paper]"
    )
    path = _write(
        tmp_path,
        f'title = "t"\ndataset = "drawings"\nprotocols = ["paper-ignet"]\n{runs}'
        '[[target]]\nname = "age_category"\n',
        profiles=profiles,
    )
    jobs = expand(load_experiment(path), "quick")
    variants = {j.variant: j.settings.protocol_options for j in jobs}
    assert variants["pixels strength 0.5 copies 3"] == {
        "copies": 3,
        "n_folds": 5,
        "validation_fraction": 0.2,
        "strength": 0.5,
    }
    assert len(variants) == 4 and len(jobs) == 4 * 2
    assert {j.backend for j in jobs} == {"sklearn"}
    assert set(variants) <= set(load_experiment(path).paper())  # paper numbers per variant
    # Smoke keeps the first strength at its own sizes.
    smoke = expand(load_experiment(path), "smoke")
    assert {j.variant for j in smoke} == {"pixels strength 0"}
    assert smoke[0].settings.protocol_options["copies"] == 2


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ("{ epochs = [1, 2] }", "epochs: Input should be 'strength', 'copies' or 'learn_test'"),
        ("{ strength = 1 }", "strength: Input should be a valid list"),
    ],
)
def test_bad_sweeps_name_the_field(tmp_path, sweep, message):
    profiles = PROFILES.replace("[profile.paper]", f"sweep = {sweep}\n[profile.paper]")
    path = _write(
        tmp_path,
        'title = "t"\ndataset = "drawings"\nprotocols = ["paper-ignet"]\n'
        '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n[[target]]\nname = "age"\n',
        profiles=profiles,
    )
    with pytest.raises(BenchError, match=f"profile.quick.sweep.*{message}"):
        load_experiment(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('protocols = ["partition"]', "run fig5: protocols"),
        ("sweep = 1", r"run\[1\]\.sweep: Input should be a valid boolean"),
    ],
)
def test_run_protocols_and_sweep_are_validated(tmp_path, line, message):
    runs = f'[[run]]\nengine = "ignet"\nnetwork = "fig5"\n{line}\n'
    with pytest.raises(BenchError, match=message):
        _experiment(tmp_path, runs=runs, protocols='["paper-ignet", "leak-free"]')


def test_leak_free_alone_follows_the_engines_paper_protocol(tmp_path):
    runs = (
        '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n[[run]]\nengine = "keras"\nnetwork = "fig2"\n'
    )
    exp = _experiment(tmp_path, runs=runs, protocols='["leak-free"]')
    bases = {j.network: j.settings.protocol_base for j in expand(exp, "quick")}
    assert bases == {"fig5": "paper-ignet", "fig2": "paper-keras"}


def test_faces_targets_are_multilabel_and_partition_has_one_fold(tmp_path):
    runs = (
        '[[run]]\nengine = "keras"\nnetwork = "faces_cnn"\n'
        '[[run]]\nengine = "keras"\nnetwork = "faces_cnn"\nname = "rgb"\ncolor = true\n'
    )
    targets = '[[target]]\nname = "attributes"\n[[target]]\nname = "age_months"\n'
    exp = _experiment(
        tmp_path, runs=runs, protocols='["partition"]', dataset="faces", targets=targets
    )
    assert [t.task for t in exp.targets] == ["multilabel", "multilabel"]
    jobs = expand(exp, "quick")
    assert len(jobs) == 2 * 2  # two runs, two targets, one fold each
    assert {j.fold for j in jobs} == {0}
    assert {j.task for j in jobs} == {"multilabel"}
    colors = {j.variant: j.settings.color for j in jobs}
    assert colors["rgb"] is True
    assert colors["faces_cnn"] is False
    smoke = profile_settings(exp, "smoke")
    assert smoke.table("partition") == {"train": 100, "validation": 30, "test": 40}


@pytest.mark.parametrize(
    ("rows", "complaint"),
    [
        ("Male = [1, 2, 0.9, 0.8]", r"per_attribute\.Male must be \[TP, positives"),
        ('Male = [1, 2, 0.9, 0.8, "x"]', r"per_attribute\.Male"),
        ("AVG = [0.5, 0.8, 0.5, 0.6, 0.1]", r"per_attribute\.AVG must be \[TP share"),
    ],
)
def test_malformed_paper_attribute_rows_are_refused(tmp_path, rows, complaint):
    targets = f'[[target]]\nname = "attributes"\nper_attribute = {{ {rows} }}\n'
    with pytest.raises(BenchError, match=complaint):
        _experiment(tmp_path, protocols='["partition"]', dataset="faces", targets=targets)


def test_paper_attribute_rows_load(tmp_path):
    rows = 'Male = [1, 2, 0.9, 0.8, 0.85], AVG = ["53.9%", 0.878, 0.539, 0.668]'
    targets = f'[[target]]\nname = "attributes"\nper_attribute = {{ {rows} }}\n'
    exp = _experiment(tmp_path, protocols='["partition"]', dataset="faces", targets=targets)
    assert exp.targets[0].per_attribute["AVG"][0] == "53.9%"


def test_unknown_dataset_is_refused(tmp_path):
    with pytest.raises(BenchError, match="dataset"):
        _experiment(tmp_path, dataset="mnist")


@pytest.mark.parametrize("name", list_experiments())
def test_every_shipped_experiment_expands_with_unique_job_ids(name):
    exp = load_experiment(name)
    assert exp.name == name
    for profile in ("smoke", *exp.profiles):
        jobs = expand(exp, profile)
        assert jobs, (name, profile)
        ids = [job_id(job.key()) for job in jobs]
        assert len(ids) == len(set(ids)), (name, profile)
        settings = profile_settings(exp, profile)
        selected = settings.runs or [r.name for r in exp.runs]
        variants = {
            variant_name(r.name, p)
            for r in exp.runs
            for p in sweep_points(settings.sweep if r.sweep else {})
            if r.name in selected
        }
        assert {j.variant for j in jobs} == variants
        if profile == "paper":  # the paper profile runs everything the file declares
            assert {j.variant.split(" strength ")[0] for j in jobs} == {r.name for r in exp.runs}
            assert {j.target for j in jobs} == {t.name for t in exp.targets}
        if profile == "smoke":
            assert len({(j.variant, j.protocol) for j in jobs}) == len(jobs)
            assert {j.fold for j in jobs} == {0}


def test_shipped_experiments_are_listed():
    names = list_experiments()
    assert "table1" in names and "faces_table3" in names
    assert names == sorted(names)


RUNS_TWO = (
    '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n'
    '[[run]]\nengine = "ignet"\nnetwork = "fig5"\nname = "fig5 ink"\ninvert = true\n'
    '[[run]]\nengine = "keras"\nnetwork = "fig2"\ntargets = ["age_category"]\n'
)
TARGETS_TWO = '[[target]]\nname = "age_category"\n[[target]]\nname = "age"\n'


def test_input_scaling_is_chosen_per_engine_and_run(tmp_path):
    exp = _experiment(tmp_path, runs=RUNS_TWO, targets=TARGETS_TWO)
    invert = {job.variant: job.settings.invert for job in expand(exp, "quick")}
    # IgNet sees the pixels in 0..1 (section 5.4.2); a run may ask for ink intensity.
    assert invert == {"fig5": False, "fig5 ink": True, "fig2": True}


def test_run_targets_and_profile_runs_select_jobs(tmp_path):
    profiles = PROFILES.replace(
        "[profile.paper]", 'runs = { fig5 = "all", fig2 = "all" }\n\n[profile.paper]'
    )
    body = f'title = "t"\ndataset = "drawings"\nprotocols = ["paper-ignet"]\n{RUNS_TWO}\n'
    exp = load_experiment(_write(tmp_path, body + TARGETS_TWO, profiles=profiles))
    quick = {(job.variant, job.target) for job in expand(exp, "quick")}
    assert quick == {("fig5", "age_category"), ("fig5", "age"), ("fig2", "age_category")}
    paper = {(job.variant, job.target) for job in expand(exp, "paper")}
    assert ("fig5 ink", "age") in paper and ("fig2", "age") not in paper


@pytest.mark.parametrize(
    ("profiles", "message"),
    [
        ('runs = ["nope"]\n', "profile.quick.runs: 'nope' not among"),
        ('runs = { fig5 = ["nope"] }\n', "profile.quick.runs.fig5: 'nope' not among"),
        ("runs = []\n", "must be a non-empty list"),
    ],
)
def test_profile_runs_are_validated(tmp_path, profiles, message):
    body = 'title = "t"\ndataset = "drawings"\nprotocols = ["paper-ignet"]\n'
    body += '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n[[target]]\nname = "age"\n'
    with pytest.raises(BenchError, match=message):
        load_experiment(
            _write(
                tmp_path,
                body,
                profiles=PROFILES.replace("epochs = 3\n", "epochs = 3\n" + profiles, 1),
            )
        )


def test_target_task_is_validated_and_names_are_unique(tmp_path):
    with pytest.raises(BenchError, match=r"target\[1\]\.task: Input should be 'classification'"):
        _experiment(tmp_path, targets='[[target]]\nname = "age"\ntask = "ranking"\n')
    with pytest.raises(BenchError, match="share a name"):
        _experiment(tmp_path, targets='[[target]]\nname = "age"\n[[target]]\nname = "age"\n')
    exp = _experiment(
        tmp_path, targets='[[target]]\nname = "age_months"\ntask = "classification"\n'
    )
    assert exp.targets[0].task == "classification"


def test_options_named_after_a_task_apply_to_its_targets_only(tmp_path):
    runs = (
        '[[run]]\nengine = "ignet"\nnetwork = "fig5"\n'
        'options = { output_activation = "bipolar_sigmoid", '
        'regression = { target_scaling = "minmax" } }\n'
    )
    targets = '[[target]]\nname = "age_months"\n[[target]]\nname = "age_category"\n'
    exp = _experiment(tmp_path, runs=runs, targets=targets)
    options = {job.target: job.settings.engine_options for job in expand(exp, "quick")}
    assert options["age_months"] == {
        "output_activation": "bipolar_sigmoid",
        "target_scaling": "minmax",
    }
    assert options["age_category"] == {"output_activation": "bipolar_sigmoid"}


_TWO_RUNS = (
    '[[run]]\nengine = "keras"\nnetwork = "fig2"\n[[run]]\nengine = "ignet"\nnetwork = "fig5"\n'
)


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ('slow = "fig2"\nfast = "fig5"\npaper = 30\n', r"missing field speed\[1\]\.claim"),
        ('claim = "c"\nslow = "fig9"\nfast = "fig5"\npaper = 30\n', "slow: 'fig9' not among"),
        (
            'claim = "c"\nslow = "fig2"\nfast = "fig5"\npaper = 0\n',
            r"speed\[1\]\.paper: Input should be greater than 0",
        ),
        (
            'claim = "c"\nslow = "fig2"\nfast = "fig5"\npaper = "x"\n',
            r"speed\[1\]\.paper: Input should be a valid number",
        ),
        ('claim = "c"\nslow = "fig2"\nfast = "fig5"\npaper = 2\ntolerance = -1\n', "tolerance"),
        ('claim = "c"\nslow = "fig2"\nfast = "fig5"\npaper = 2\ntargets = ["age"]\n', "'age'"),
    ],
)
def test_speed_claims_are_validated(tmp_path, claim, message):
    with pytest.raises(BenchError, match=message):
        _experiment(
            tmp_path,
            runs=_TWO_RUNS,
            extra="",
            targets=f'[[target]]\nname = "age_category"\n[[speed]]\n{claim}',
        )


def test_speed_claims_load(tmp_path):
    claim = '[[speed]]\nclaim = "c"\nslow = "fig2"\nfast = "fig5"\npaper = 30\n'
    exp = _experiment(
        tmp_path, runs=_TWO_RUNS, targets=f'[[target]]\nname = "age_category"\n{claim}'
    )
    assert [c.model_dump(exclude_none=True) for c in exp.speed] == [
        {"claim": "c", "slow": "fig2", "fast": "fig5", "paper": 30.0}
    ]


_FIG5 = 'engine = "ignet"\nnetwork = "fig5"'


@pytest.mark.parametrize(
    ("runs", "profile_line", "message"),
    [
        (
            'engine = "kerass"\nnetwork = "fig2"',
            "",
            r"exp\.toml: run\[1\]\.engine: engine must be one of ignet, keras",
        ),
        (_FIG5 + "\ncolour = true", "", r"exp\.toml: unknown field run\[1\]\.colour"),
        (
            _FIG5,
            "epoch = 3\n",
            r"exp\.toml: profile\.quick: unknown field 'epoch'; a profile takes epochs, folds",
        ),
        (
            _FIG5,
            "invert = 1\n",
            r"exp\.toml: profile\.quick\.invert: Input should be a valid boolean",
        ),
        (_FIG5, "linear = 5\n", r"exp\.toml: profile\.quick: linear must be a table of options"),
    ],
)
def test_a_bad_field_names_the_file_the_field_and_what_it_allows(
    tmp_path, runs, profile_line, message
):
    body = 'title = "t"\ndataset = "drawings"\nprotocols = ["paper-ignet"]\n'
    body += f'[[run]]\n{runs}\n[[target]]\nname = "age"\n'
    profiles = PROFILES.replace("[profile.quick]\n", f"[profile.quick]\n{profile_line}", 1)
    with pytest.raises(BenchError, match=message):
        load_experiment(_write(tmp_path, body, profiles=profiles))


def test_a_swept_count_stays_a_whole_number():
    # copies slices arrays: a sweep's [10] must reach the protocol as 10, not 10.0.
    jobs = expand(load_experiment("leak_curve"), "quick")
    options = [
        job.settings.protocol_options for job in jobs if "copies" in job.settings.protocol_options
    ]
    assert options and all(type(o["copies"]) is int for o in options)
    assert {type(o["strength"]) for o in options} == {float}


def test_every_shipped_experiment_passes_the_checks_of_its_fields():
    from bench.validation import check_experiment

    for name in list_experiments():
        experiment = load_experiment(name)
        for profile in ("smoke", *experiment.profiles):
            check_experiment(experiment, profile)
