from . import models, report
