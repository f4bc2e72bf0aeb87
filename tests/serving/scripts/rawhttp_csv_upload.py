"""@rawhttp: scores a CSV file uploaded as multipart form data with an iris classifier.

The classifier is trained in init() on the iris data that scikit-learn ships, so both
servers hold the same model without a pickle crossing environments.
"""

import csv
import io

from azureml.contrib.services.aml_request import AMLRequest, rawhttp  # noqa: F401
from azureml.contrib.services.aml_response import AMLResponse
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

state = {}


def init():
    iris = load_iris()
    state["model"] = DecisionTreeClassifier(random_state=0).fit(iris.data, iris.target)
    state["names"] = [str(name) for name in iris.target_names]


@rawhttp
def run(request):
    if request.method != "POST":
        return AMLResponse("POST a CSV file in the field 'measurements'", 405)
    upload = request.files.get("measurements")
    if upload is None:
        return AMLResponse({"error": "no file in 'measurements'"}, 400, json_str=True)
    text = io.TextIOWrapper(upload.stream, encoding="utf-8")
    rows = [[float(cell) for cell in row] for row in csv.reader(text) if row]
    predicted = state["model"].predict(rows)
    return {
        "file": upload.filename,
        "type": upload.content_type,
        "species": [state["names"][i] for i in predicted],
        "note": request.form.get("note", ""),
    }
