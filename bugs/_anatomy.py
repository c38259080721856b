"""liquid-audio's anatomy: the file, class and attribute names the bug modules refer to."""

PACKAGE = "liquid_audio"

PROCESSOR_FILE = "processor.py"
MODEL_FILE = "model/lfm2_audio.py"
UTILS_FILE = "utils.py"
TRAINER_FILE = "trainer.py"
FEATURES_FILE = "model/conformer/processor.py"  # the mel-spectrogram featurizer
MAPPER_FILE = "data/mapper.py"  # fine-tuning: a chat -> a training sample
PREPROCESS_FILE = "data/preprocess.py"  # fine-tuning: chats -> a saved datasets.Dataset

PROCESSOR_MODULE = "liquid_audio.processor"
MODEL_MODULE = "liquid_audio.model.lfm2_audio"
UTILS_MODULE = "liquid_audio.utils"
TRAINER_MODULE = "liquid_audio.trainer"
FEATURES_MODULE = "liquid_audio.model.conformer.processor"
MAPPER_MODULE = "liquid_audio.data.mapper"
PREPROCESS_MODULE = "liquid_audio.data.preprocess"

PROCESSOR_CLASS = "LFM2AudioProcessor"
MODEL_CLASS = "LFM2AudioModel"
CHAT_STATE_CLASS = "ChatState"
FEATURES_CLASS = "FilterbankFeatures"
TRAINER_CLASS = "Trainer"
MAPPER_CLASS = "LFM2AudioChatMapper"
PREPROCESS_FUNCTION = "preprocess_dataset"
FINE_TUNING_SINCE = "1.2.0"  # first release with trainer.py and data/
FINE_TUNING_FILES = (TRAINER_FILE, "data/")  # what came with fine-tuning: a release without them predates it

END_OF_AUDIO = 2048  # the code generate_sequential / generate_interleaved give every codebook to end audio
DETOKENIZER_SINCE = "1.1.0"  # first release with LFM2AudioProcessor.decode and the audio detokenizer

# Messages of a torch call that needs CUDA where CUDA cannot be used.
CUDA_UNUSABLE = (
    r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available"
    r"|no CUDA-capable device|CUDA driver initialization failed|cudaGetDeviceCount"
)

# The exact parameter line both from_pretrained methods ship with, and the fixed one.
CUDA_DEFAULT_SIGNATURE = '        device: torch.device | str = "cuda",\n'
OPTIONAL_DEVICE_SIGNATURE = "        device: torch.device | str | None = None,\n"

# 1-D float32 test audio the cases share: one second of a quiet sine at 16 kHz.
SINE = "0.1 * np.sin(np.arange(16_000, dtype=np.float32) / 8)"

# The Gradio demo (`liquid-audio-demo`, the `demo` extra: gradio and fastrtc)
DEMO_MODEL_FILE = "demo/model.py"  # loads the processor, the model and Mimi at import, then warms Mimi up
DEMO_CHAT_FILE = "demo/chat.py"  # the Blocks app, chat_response and its generation thread chat_producer
DEMO_CHAT_MODULE = "liquid_audio.demo.chat"
DEMO_RESPONSE = "chat_response"
DEMO_PRODUCER = "chat_producer"
DEMO_SURFACE = "demo"  # ``Bug.surface`` of the bugs that only the demo meets
