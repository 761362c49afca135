import Foundation
import HarnessCLI

exit(await HarnessCommand.runMain())
