import os
import shutil
import tempfile

# Keras (a test-only reference) must use the JAX backend: TensorFlow is not a dependency.
os.environ.setdefault("KERAS_BACKEND", "jax")

# One XLA compilation cache for the whole run: pytest-xdist's workers and the subprocesses the tests
# start inherit this environment, so a program one of them compiled is read by the others instead
# of compiled again (the same programs, so the same results bit for bit). Made by the first
# process (the controller), removed by it at the end; a cache the user set is left alone.
# Measured: 4 geometry test files on 2 workers, 145 s -> 133 s.
_OWN_CACHE = "JAX_COMPILATION_CACHE_DIR" not in os.environ
if _OWN_CACHE:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jaxaug-tests-xla-")
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    os.environ["JAXAUG_TESTS_CACHE_OWNER"] = str(os.getpid())

import hypothesis  # noqa: E402

hypothesis.settings.register_profile("default", max_examples=25, deadline=None, print_blob=True)
hypothesis.settings.register_profile("ci", max_examples=40, deadline=None, print_blob=True, derandomize=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "default")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# XLA's CPU backend cannot compile float16 conversions when it is forced below AVX (no F16C):
# "Failed to materialize symbols: ... convert_fusion" (jax 0.10.2, --xla_cpu_max_isa=SSE4_2).
# That is XLA's limit, not ours; float16 tests are skipped there and run everywhere else.
FLOAT16_COMPILES = "xla_cpu_max_isa=SSE4" not in os.environ.get("XLA_FLAGS", "")


# The fast subset, `-m "not slow"` (README: about 2 minutes on 2 cores instead of 8): every file
# and every kind of check, without the costly repetitions. `slow` marks (measured with
# --durations, most of the time being XLA compilation):
# * the tests that use a subprocess fixture (several devices or processes: tests/_processes.py);
# * SLOW_TESTS, whole tests of about 2 s or more each (end-to-end runs, many compiled programs);
# * SLOW_CASES, parametrised tests whose cases cost seconds each: their first case stays fast,
#   so the fast subset still checks the property once, and the others are slow.
SLOW_FIXTURES = {"multi_device_run", "distributed_run", "devices_run"}
SLOW_TESTS = {f"tests/{name}" for name in """
    test_api.py::test_the_random_op_is_its_twin_applied_to_its_samplers_draw
    test_bad_input_issues.py::test_the_smallest_alphas_are_accepted_and_give_no_nan
    test_cli_errors.py::test_a_diverging_run_stops_with_an_error_not_nan_results
    test_cli_errors.py::test_command_lines_print_one_line_and_no_traceback
    test_combinators.py::test_an_example_does_not_depend_on_its_batch
    test_combinators.py::test_each_image_runs_exactly_its_chosen_pieces
    test_combinators.py::test_random_apply_always_is_the_piece_and_never_is_identity
    test_combinators.py::test_some_of_all_is_chain
    test_example.py::test_model_is_the_tutorials_keras_model
    test_example.py::test_quick_run_is_bitwise_reproducible_and_writes_its_report
    test_example_resized.py::test_main_reports_rates_and_writes_a_preview
    test_example_resized.py::test_ragged_batch_equals_each_image_alone
    test_geometry.py::test_switching_an_option_does_not_change_other_draws
    test_geometry.py::test_vmap_gives_one_matrix_per_key_and_jit_agrees
    test_grain_input.py::test_augmentation_depends_on_the_view_not_on_the_batch
    test_grain_input.py::test_main_saves_the_state_and_resumes
    test_imports.py::test_the_keras_facade_works_without_keras
    test_keras.py::test_an_examples_augmentation_does_not_depend_on_the_batch_size
    test_keras.py::test_batches_equal_apply_transform_of_their_parameters
    test_keras.py::test_flow_behaves_like_a_keras_iterator
    test_keras.py::test_images_and_masks_from_two_generators_with_one_seed_stay_aligned
    test_keras.py::test_keras_model_fit_takes_the_iterator_like_keras_own
    test_keras.py::test_same_seed_same_batches_other_seed_other_batches
    test_keras.py::test_unseeded_runs_follow_numpys_global_seed_like_keras
    test_keras_layers.py::test_a_model_trains_and_the_seed_fixes_the_weights
    test_keras_layers.py::test_a_piece_with_an_output_size
    test_keras_layers.py::test_save_and_load_round_trip
    test_keras_layers.py::test_training_is_the_augmenter_and_inference_is_the_identity
    test_keras_layers.py::test_uint8_and_floating_dtypes_are_accepted
    test_mixing.py::test_cutmix_label_weight_is_the_pasted_pixel_fraction
    test_mixing.py::test_jit_matches_eager_and_keeps_dtype
    test_mixing.py::test_label_mass_is_one_and_images_come_from_the_pair
    test_mixing.py::test_sample_cutmix_covers_every_centre_pixel_of_a_small_image
    test_pipeline.py::test_an_example_does_not_depend_on_its_batch
    test_pipeline.py::test_boxes_follow_the_geometry_like_warp_boxes
    test_pipeline.py::test_chain_composes_geometry_into_one_warp_then_pixel_ops
    test_pipeline.py::test_consecutive_hsv_ops_share_one_round_trip_and_match_the_ops_one_by_one
    test_pipeline.py::test_default_indices_are_positions_and_single_image_is_example_zero
    test_pipeline.py::test_float_images_keep_dtype_and_normalisation_gives_float32
    test_pipeline.py::test_keypoints_follow_the_geometry_and_ignore_colour
    test_pipeline.py::test_masks_get_the_geometry_with_order_zero_and_their_own_fill
    test_pipeline.py::test_same_key_same_output_under_jit_eager_and_vmap
    test_pipeline.py::test_sample_then_apply_replays_the_call
    test_pipeline.py::test_switching_an_option_does_not_change_the_other_draws
    test_policies.py::test_augmenter_option_policy_is_the_piece
    test_policies.py::test_augmix_draws_chains_of_one_to_three_operations_and_weights_summing_to_one
    test_policies.py::test_augmix_is_a_piece_run_by_augmenter
    test_policies.py::test_augmix_is_the_weighted_sum_of_its_chains
    test_policies.py::test_augmix_views_share_the_base_and_differ_from_each_other
    test_policies.py::test_float_images_are_quantized_to_their_range
    test_policies.py::test_geometry_matches_pil
    test_policies.py::test_policy_params_replay
    test_policies.py::test_policy_pieces_are_per_image_and_independent_of_the_batch
    test_policies.py::test_rand_augment_uses_its_level_and_magnitude_noise
    test_policies.py::test_random_ops_are_the_twin_of_the_draw
    test_policies.py::test_the_batch_path_equals_the_per_image_twin
    test_policies.py::test_the_piece_equals_the_twin_on_each_image
    test_preview.py::test_cells_are_the_warped_picture
    test_preview.py::test_reads_an_image_file_and_scales
    test_preview.py::test_same_seed_gives_same_png_bytes
    test_preview.py::test_the_extension_of_o_picks_the_format
    test_repo.py::test_readme_tour_runs
    test_repo.py::test_the_missions_entry_point_is_the_example_program
    test_resize.py::test_antialias_falls_back_to_bilinear_under_rotation
    test_resize.py::test_box_distribution_matches_torchvision
    test_resize.py::test_masks_keypoints_and_boxes_follow_to_the_output_size
    test_resize.py::test_ragged_batch_equals_per_image_runs
    test_resize.py::test_random_resized_crop_piece_is_the_twin
    test_resize.py::test_resize_properties
    test_transforms.py::test_boxes_are_clipped_and_flagged_when_they_leave_the_image
    test_warp.py::test_bilinear_stays_within_input_range
    test_warp.py::test_gradients_are_finite_and_match_finite_differences
    test_warp.py::test_half_precision_keeps_dtype
    test_warp.py::test_hypothesis_random_matrices_match_scipy
    test_warp.py::test_single_image_and_shared_matrix_forms_agree
    test_warp.py::test_uint8_is_rounded_and_clipped_from_float32_result
""".split()}
SLOW_CASES = {f"tests/{name}" for name in """
    test_bad_input.py::test_bad_input_names_the_argument_and_value
    test_bad_input_issues.py::test_traced_op_indices_are_clipped_the_same_way_by_every_twin
    test_behaviour.py::test_matches_recording
    test_color.py::test_random_op_is_twin_of_sample_and_depends_on_key_only
    test_docs.py::test_docstring_examples_run
    test_enhance.py::test_matches_pil_within_one_level
    test_keras.py::test_apply_transform_matches_keras
    test_ops.py::test_each_option_alone_builds_its_piece_in_its_slot
    test_policies.py::test_pixel_operations_match_pil
    test_resize.py::test_ragged_batch_never_reads_the_padding
    test_resize.py::test_resize_variants_agree
    test_tone.py::test_autocontrast_is_pils_within_one_level
    test_tone.py::test_equalize_is_pils
    test_tone.py::test_posterize_is_pils
    test_transforms.py::test_rotate_quarter_turn_is_rot90
    test_transforms.py::test_translate_whole_pixels_moves_content
    test_transforms.py::test_zoom_matches_scipy_scaling_about_the_centre
    test_warp.py::test_matches_scipy_for_random_matrices
    test_warp.py::test_output_shape_matches_scipy
""".split()}


def _mark_slow(items):
    slow, first_case_seen = pytest.mark.slow, set()
    for item in items:
        test = item.nodeid.split("[")[0].split("@")[0]
        if test in SLOW_CASES:
            if test in first_case_seen:
                item.add_marker(slow)
            first_case_seen.add(test)
        elif test in SLOW_TESTS or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(slow)


# Placement under `--dist loadgroup` (README, .ci/run). Most of a test's time is XLA compiling
# programs and eager primitives, once per process: tests of one file share them (the same shapes,
# `_compiled.jitted`), so each file is one xdist group and runs on one worker, compiling them once
# instead of once per worker (test_policies.py: 147 s of CPU instead of 167 s on 2 workers).
# Groups start in the order below, the costliest first (CPU seconds measured with --durations,
# rounded), so that the last ones to start are short and both workers finish together; the
# files not listed (a few seconds each) follow in collection order. A file with a group of its
# own (`pytestmark = pytest.mark.xdist_group(...)`) keeps it.
COSTLIEST_FIRST = """
    test_policies test_docs test_behaviour test_perspective test_distortions test_elastic test_jpeg test_warp
    test_pipeline test_example_devices test_channel_ops test_median_blur test_box_motion_blur
    test_resize test_keras test_example test_repo test_keras_layers test_transforms test_tone test_geometry
    test_photometric_ops test_clahe
    test_fusion test_sharding test_preview test_bad_input_issues test_api test_ops test_occlusion test_enhance
    test_combinators test_data test_grain_input test_color test_mixing test_normalize test_example_resized
    test_bad_input test_filters test_cli_errors test_imports test_noise test_gamma
""".split()


def _group_by_file(config, items):
    """Marks each test with its file's xdist group and orders the items costliest file first."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist's workers under --dist loadgroup
        return
    rank = {name: i for i, name in enumerate(COSTLIEST_FIRST)}
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: a file keeps its order


def pytest_configure(config):
    # xdist would otherwise start the groups with the most tests first (its --loadscope-reorder),
    # whatever they cost; the order of COSTLIEST_FIRST is the one that balances the workers.
    if getattr(config.option, "dist", None) == "loadgroup":
        config.option.loadscopereorder = False


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    _mark_slow(items)
    _group_by_file(config, items)
    if FLOAT16_COMPILES:
        return
    skip = pytest.mark.skip(reason="XLA CPU cannot compile float16 under --xla_cpu_max_isa=SSE4_2")
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(value is np.float16 for value in params.values()) or "float16" in item.name.replace("bfloat16", ""):
            item.add_marker(skip)


UNGROUPED = pytest.StashKey[str]()


def pytest_collection_finish(session):
    """Notice a run whose xdist groups are silently ignored (its grouped tests then fail, saying why).

    `--dist loadgroup` (README, .ci/run) keeps each file's expensive subprocess fixtures on one
    worker by suffixing its node ids with the group name; with pytest 9.2 and pytest-xdist 3.8 the
    suffix never lands (pytest-dev/pytest-xdist#1386) and the suite runs ~4 minutes longer on 2 cores.
    An error raised here would crash the worker without its message, so the tests report it.
    """
    config = session.config
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    if any(item.get_closest_marker("xdist_group") and "@" not in item.nodeid for item in session.items):
        config.stash[UNGROUPED] = (
            f"--dist loadgroup ignored this test's xdist_group: pytest {pytest.__version__} and this "
            "pytest-xdist do not work together (pytest-dev/pytest-xdist#1386); install the versions "
            "that pyproject.toml's dev extra allows."
        )


@pytest.fixture(autouse=True)
def _xdist_groups_hold(request):
    if request.node.get_closest_marker("xdist_group") and UNGROUPED in request.config.stash:
        pytest.fail(request.config.stash[UNGROUPED], pytrace=False)


def pytest_unconfigure(config):
    if os.environ.get("JAXAUG_TESTS_CACHE_OWNER") == str(os.getpid()):
        shutil.rmtree(os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
