"""`python -m pyapp.backends.webgl.dump`: a model's WebGL plan and every shader, read without a browser."""

from pyapp.backends.webgl import make_plan
from pyapp.backends.webgl.dump import main
from pyapp.backends.webgl.plan import Draw
from pyapp.graph import PIPELINE, build_graph, optimize
from pyapp.model import load_model_spec


def test_the_dump_lists_every_step_and_each_program_once(assets_dir, capsys):
    model = assets_dir / "models" / "blazeface" / "model.json"
    assert main([str(model)]) == 0
    text = capsys.readouterr().out
    spec, weights = load_model_spec(model)
    plan = make_plan(optimize(build_graph(spec, weights), PIPELINE))
    assert text.count("\n## program ") == len(plan.programs) and text.count("#version 300 es") == len(plan.programs)
    for source in plan.programs:
        assert source.rstrip("\n") in text
    steps = text.split("## steps\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(steps) == len(plan.steps)
    assert sum(line.split()[1] == "draw" for line in steps) == sum(isinstance(s, Draw) for s in plan.steps)
    assert "depthwise3" in text and "#version 300 es" in text


def test_an_input_shape_can_be_given(assets_dir, capsys):
    model = assets_dir / "models" / "emotion" / "model.json"
    spec, _ = load_model_spec(model)
    name = spec.inputs[0].name
    main([str(model), "--input", f"{name}=1,32,32,1"])
    assert f"upload {name}:0 (1, 32, 32, 1)" in capsys.readouterr().out
